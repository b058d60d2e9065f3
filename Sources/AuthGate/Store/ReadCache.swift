import Synchronization

/// What the read path may answer from memory instead of the database:
/// revoked token ids, users looked up by name, the user count and list
/// pages. One per process, shared by every worker thread.
///
/// Correct across processes because the database tells every process of
/// every change (PostgreSQL NOTIFY from triggers, see `ChangeListener`):
/// a users change drops everything user-shaped, a revocation adds its id.
/// A process sees its own writes at once; others within the notification's
/// delivery time (well under a millisecond on one host). While the listener
/// is not connected the cache is off and every read goes to the database.
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
    }

    struct PageKey: Hashable { let limit: Int, offset: Int }

    static let maxUsers = 4096
    static let maxPages = 256

    private let state = ReadWriteLocked(State())
    /// Held while one thread reloads the count or a page after a miss, so
    /// the others wait for its answer instead of all running the same
    /// query (count(*) over a million rows took ~50 ms per thread).
    let reload = Mutex(())

    public init() {}

    /// Turns the cache on with the complete set of live revocations, read
    /// after LISTEN so that nothing between the two is missed.
    func enable(revoked: [[UInt8]: Double]) {
        state.write {
            $0 = State(enabled: true, generation: $0.generation &+ 1, revoked: revoked)
        }
    }

    /// Turns the cache off (listener lost): every read goes to the database.
    func disable() {
        state.write { $0 = State(enabled: false, generation: $0.generation &+ 1) }
    }

    var isEnabled: Bool { state.read { $0.enabled } }

    func usersChanged() {
        state.write {
            $0.generation &+= 1
            $0.users.removeAll(keepingCapacity: true)
            $0.pages.removeAll(keepingCapacity: true)
            $0.count = nil
        }
    }

    func revoked(jti: String, expiresAt: Double) {
        let key = Array(jti.utf8)
        state.write { if $0.enabled { $0.revoked[key] = expiresAt } }
    }

    func pruneRevocations(before now: Double) {
        state.write { s in s.revoked = s.revoked.filter { $0.value >= now } }
    }

    /// nil when the cache cannot answer (off).
    func isRevoked(jti: String) -> Bool? {
        let key = Array(jti.utf8)
        return state.read { $0.enabled ? $0.revoked[key] != nil : nil }
    }

    /// A cached value, or the generation to pass to `store` after reading it.
    enum Lookup<T> { case hit(T), miss(generation: UInt64), off }

    func user(named name: [UInt8]) -> Lookup<UserRecord?> {
        state.read {
            guard $0.enabled else { return .off }
            if let user = $0.users[name] { return .hit(user) }
            return .miss(generation: $0.generation)
        }
    }

    func store(user: UserRecord, as name: [UInt8], generation: UInt64) {
        state.write {
            guard $0.enabled, $0.generation == generation else { return }
            if $0.users.count >= ReadCache.maxUsers { $0.users.removeAll(keepingCapacity: true) }
            $0.users[name] = user
        }
    }

    func count() -> Lookup<Int> {
        state.read {
            guard $0.enabled else { return .off }
            if let count = $0.count { return .hit(count) }
            return .miss(generation: $0.generation)
        }
    }

    func store(count: Int, generation: UInt64) {
        state.write { if $0.enabled, $0.generation == generation { $0.count = count } }
    }

    func page(limit: Int, offset: Int) -> Lookup<[PublicUser]> {
        state.read {
            guard $0.enabled else { return .off }
            if let page = $0.pages[PageKey(limit: limit, offset: offset)] { return .hit(page) }
            return .miss(generation: $0.generation)
        }
    }

    func store(page: [PublicUser], limit: Int, offset: Int, generation: UInt64) {
        state.write {
            guard $0.enabled, $0.generation == generation else { return }
            if $0.pages.count >= ReadCache.maxPages { $0.pages.removeAll(keepingCapacity: true) }
            $0.pages[PageKey(limit: limit, offset: offset)] = page
        }
    }
}

/// A `UserStore` that answers reads from the process's `ReadCache` when it
/// can and keeps it current with this process's own writes.
final class CachedUserStore: UserStore {
    private let base: UserStore
    private let cache: ReadCache

    init(_ base: UserStore, cache: ReadCache) {
        self.base = base
        self.cache = cache
    }

    func ping() throws { try base.ping() }

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        defer { cache.usersChanged() }
        try base.insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
    }

    func user(named username: String) throws -> UserRecord? {
        let key = Array(username.utf8)
        switch cache.user(named: key) {
        case .hit(let user): return user
        case .off: return try base.user(named: username)
        case .miss(let generation):
            let user = try base.user(named: username)
            if let user { cache.store(user: user, as: key, generation: generation) }
            return user
        }
    }

    func usernameExists(_ username: String) throws -> Bool { try base.usernameExists(username) }
    func emailExists(_ email: String) throws -> Bool { try base.emailExists(email) }

    func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        try singleFlight({ cache.page(limit: limit, offset: offset) },
                         load: { try base.usersPage(limit: limit, offset: offset) },
                         store: { cache.store(page: $0, limit: limit, offset: offset, generation: $1) })
    }

    func userCount() throws -> Int {
        try singleFlight({ cache.count() }, load: { try base.userCount() },
                         store: { cache.store(count: $0, generation: $1) })
    }

    /// A hit, or one thread loads while the others wait and then read its
    /// answer from the cache.
    private func singleFlight<T>(_ lookup: () -> ReadCache.Lookup<T>, load: () throws -> T,
                                 store: (T, UInt64) -> Void) throws -> T {
        switch lookup() {
        case .hit(let value): return value
        case .off: return try load()  // nothing to share; don't queue behind the lock
        case .miss: break
        }
        return try cache.reload.withLock { _ in
            switch lookup() {
            case .hit(let value): return value
            case .off: return try load()
            case .miss(let generation):
                let value = try load()
                store(value, generation)
                return value
            }
        }
    }

    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        try base.revoke(jti: jti, type: type, now: now, expiresAt: expiresAt)
        cache.revoked(jti: jti, expiresAt: expiresAt)
    }

    func isRevoked(jti: String) throws -> Bool {
        if let answer = cache.isRevoked(jti: jti) { return answer }
        return try base.isRevoked(jti: jti)
    }

    func purgeExpiredRevocations(now: Double) throws -> Int {
        cache.pruneRevocations(before: now)
        return try base.purgeExpiredRevocations(now: now)
    }
}
