import AuthGateCore

/// What the read path may answer from memory instead of the database:
/// revoked token ids, users looked up by name, the user count, list
/// pages and users' groups. One per process, shared by every worker thread.
///
/// Correct across processes because the database tells every process of
/// every change (PostgreSQL NOTIFY from triggers, see `ChangeListener`):
/// a users change drops everything user-shaped, a revocation adds its id.
/// A process sees its own writes at once; others within the notification's
/// delivery time (well under a millisecond on one host). While the listener
/// is not connected, or stops answering its heartbeat, the cache is off and
/// every read goes to the database.
public final class ReadCache: Sendable {
    struct State {
        var enabled = false
        /// Bumped by every users change; a read that started under an older
        /// generation must not store what it read.
        var generation: UInt64 = 0
        var revoked: [[UInt8]: Double] = [:]
        var users: [[UInt8]: UserRecord] = [:]
        var count: Int?
        var pages: [PageKey: [PublicUser]] = [:]
        /// Every user's not-before (`revoke-user`), complete while enabled.
        var notBefore: [[UInt8]: Int64] = [:]
        /// Revoked refresh-token families, by when their last token expires.
        var revokedFamilies: [[UInt8]: Double] = [:]
        /// Users' groups by user id, as read on a miss; dropped whole by
        /// any change to `authgate_user_groups`.
        var groups: [[UInt8]: [String]] = [:]
    }

    struct PageKey: Hashable { let limit: Int, offset: Int }

    static let maxUsers = 4096
    static let maxGroupEntries = 4096
    static let maxPages = 256

    private let state = ReadWriteLocked(State())
    /// Held while one thread reloads the count or a page after a miss, so
    /// the others wait for its answer instead of all running the same
    /// query (count(*) over a million rows took ~50 ms per thread).
    let reload = PthreadMutex()
    private let metrics = ReadCacheMetrics()

    public init() {}

    /// What the cache holds now, for the metrics exposition (read at scrape
    /// time, under the read lock).
    public struct Snapshot: Sendable {
        public let enabled: Bool
        public let revocations: Int
        public let users: Int
        public let pages: Int
    }

    public var snapshot: Snapshot {
        state.read {
            Snapshot(
                enabled: $0.enabled, revocations: $0.revoked.count, users: $0.users.count,
                pages: $0.pages.count)
        }
    }

    /// Turns the cache on with the complete set of live revocations, read
    /// after LISTEN so that nothing between the two is missed.
    package func enable(
        revoked: [[UInt8]: Double], notBefore: [[UInt8]: Int64] = [:],
        revokedFamilies: [[UInt8]: Double] = [:]
    ) {
        state.write {
            $0 = State(enabled: true, generation: $0.generation &+ 1, revoked: revoked)
            $0.notBefore = notBefore
            $0.revokedFamilies = revokedFamilies
        }
    }

    /// Turns the cache off (listener lost): every read goes to the database.
    func disable() {
        state.write { $0 = State(enabled: false, generation: $0.generation &+ 1) }
    }

    var isEnabled: Bool { state.read { $0.enabled } }

    package func usersChanged() {
        state.write {
            $0.generation &+= 1
            $0.users.removeAll(keepingCapacity: true)
            $0.pages.removeAll(keepingCapacity: true)
            $0.count = nil
        }
    }

    /// Any membership changed (a NOTIFY from `authgate_user_groups`'
    /// trigger, or this process's own write): every user's groups are
    /// read again. The generation keeps a read that raced the change from
    /// storing what it read.
    package func groupsChanged() {
        state.write {
            $0.generation &+= 1
            $0.groups.removeAll(keepingCapacity: true)
        }
    }

    func groups(ofUserID id: [UInt8]) -> Lookup<[String]> {
        let lookup: Lookup<[String]> = state.read {
            guard $0.enabled else { return .off }
            if let groups = $0.groups[id] { return .hit(groups) }
            return .miss(generation: $0.generation)
        }
        metrics.count(.groups, lookup)
        return lookup
    }

    func store(groups: [String], ofUserID id: [UInt8], generation: UInt64) {
        state.write {
            guard $0.enabled, $0.generation == generation else { return }
            if $0.groups.count >= ReadCache.maxGroupEntries { $0.groups.removeAll(keepingCapacity: true) }
            $0.groups[id] = groups
        }
    }

    func revoked(jti: String, expiresAt: Double) {
        let key = Array(jti.utf8)
        state.write { if $0.enabled { $0.revoked[key] = expiresAt } }
    }

    /// Forgets revocations of tokens that expired before `cutoff` (now −
    /// leeway: until then an expired token is still accepted).
    func pruneRevocations(expiredBefore cutoff: Double) {
        state.write { s in s.revoked = s.revoked.filter { $0.value >= cutoff } }
    }

    /// nil when the cache cannot answer (off).
    package func isRevoked(jti: String) -> Bool? {
        let key = Array(jti.utf8)
        let answer = state.read { $0.enabled ? $0.revoked[key] != nil : nil }
        metrics.countRevocation(answered: answer != nil)
        return answer
    }

    /// The user's not-before, `.hit(nil)` when never revoked; `.off` when
    /// the cache cannot answer. Never a miss: the set is complete.
    func tokensNotBefore(ofUser name: String) -> Lookup<Int64?> {
        let key = Array(name.utf8)
        return state.read { $0.enabled ? .hit($0.notBefore[key]) : .off }
    }

    /// A not-before this process wrote; kept only if it moves forward.
    func userTokensRevoked(_ name: String, notBefore: Int64) {
        let key = Array(name.utf8)
        state.write { if $0.enabled { $0.notBefore[key] = max($0.notBefore[key] ?? notBefore, notBefore) } }
    }

    /// The whole table as the listener read it after a change.
    func replaceNotBefore(_ notBefore: [[UInt8]: Int64]) {
        state.write { if $0.enabled { $0.notBefore = notBefore } }
    }

    func familyRevoked(_ family: String, expiresAt: Double) {
        let key = Array(family.utf8)
        state.write { if $0.enabled { $0.revokedFamilies[key] = max($0.revokedFamilies[key] ?? expiresAt, expiresAt) } }
    }

    /// nil when the cache cannot answer (off).
    func isFamilyRevoked(_ family: String) -> Bool? {
        let key = Array(family.utf8)
        return state.read { $0.enabled ? $0.revokedFamilies[key] != nil : nil }
    }

    /// Forgets families whose last token expired before `cutoff`.
    func pruneFamilies(expiredBefore cutoff: Double) {
        state.write { s in s.revokedFamilies = s.revokedFamilies.filter { $0.value >= cutoff } }
    }

    /// A cached value, or the generation to pass to `store` after reading it.
    enum Lookup<T> { case hit(T), miss(generation: UInt64), off }

    func user(named name: [UInt8]) -> Lookup<UserRecord?> {
        let lookup: Lookup<UserRecord?> = state.read {
            guard $0.enabled else { return .off }
            if let user = $0.users[name] { return .hit(user) }
            return .miss(generation: $0.generation)
        }
        metrics.count(.user, lookup)
        return lookup
    }

    func store(user: UserRecord, as name: [UInt8], generation: UInt64) {
        state.write {
            guard $0.enabled, $0.generation == generation else { return }
            if $0.users.count >= ReadCache.maxUsers { $0.users.removeAll(keepingCapacity: true) }
            $0.users[name] = user
        }
    }

    func count() -> Lookup<Int> {
        let lookup: Lookup<Int> = state.read {
            guard $0.enabled else { return .off }
            if let count = $0.count { return .hit(count) }
            return .miss(generation: $0.generation)
        }
        metrics.count(.count, lookup)
        return lookup
    }

    func store(count: Int, generation: UInt64) {
        state.write { if $0.enabled, $0.generation == generation { $0.count = count } }
    }

    func page(limit: Int, offset: Int) -> Lookup<[PublicUser]> {
        let lookup: Lookup<[PublicUser]> = state.read {
            guard $0.enabled else { return .off }
            if let page = $0.pages[PageKey(limit: limit, offset: offset)] { return .hit(page) }
            return .miss(generation: $0.generation)
        }
        metrics.count(.page, lookup)
        return lookup
    }

    func store(page: [PublicUser], limit: Int, offset: Int, generation: UInt64) {
        state.write {
            guard $0.enabled, $0.generation == generation else { return }
            if $0.pages.count >= ReadCache.maxPages { $0.pages.removeAll(keepingCapacity: true) }
            $0.pages[PageKey(limit: limit, offset: offset)] = page
        }
    }
}
