/// A `UserStore` that answers reads from the process's `ReadCache` when it
/// can and keeps it current with this process's own writes.
package final class CachedUserStore: UserStore {
    let base: any UserStore
    let cache: ReadCache

    package init(_ base: any UserStore, cache: ReadCache) {
        self.base = base
        self.cache = cache
    }

    package func ping() throws { try base.ping() }

    package func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws
    {
        defer { cache.usersChanged() }
        try base.insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
    }

    package func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String
    ) throws {
        defer { cache.usersChanged() }
        try base.insertUser(
            id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt,
            usernameKey: usernameKey)
    }

    package func syncUsernameKeys() throws { try base.syncUsernameKeys() }
    package func usernameKeyTaken(_ key: String) throws -> Bool { try base.usernameKeyTaken(key) }
    package func allUsernames() throws -> [String] { try base.allUsernames() }

    package func user(named username: String) throws -> UserRecord? {
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

    package func usernameExists(_ username: String) throws -> Bool { try base.usernameExists(username) }
    package func emailExists(_ email: String) throws -> Bool { try base.emailExists(email) }

    package func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        try singleFlight(
            { cache.page(limit: limit, offset: offset) },
            load: { try base.usersPage(limit: limit, offset: offset) },
            store: { cache.store(page: $0, limit: limit, offset: offset, generation: $1) })
    }

    package func userCount() throws -> Int {
        try singleFlight(
            { cache.count() }, load: { try base.userCount() },
            store: { cache.store(count: $0, generation: $1) })
    }

    /// A hit, or one thread loads while the others wait and then read its
    /// answer from the cache.
    private func singleFlight<T>(
        _ lookup: () -> ReadCache.Lookup<T>, load: () throws -> T,
        store: (T, UInt64) -> Void
    ) throws -> T {
        switch lookup() {
        case .hit(let value): return value
        case .off: return try load()  // nothing to share; don't queue behind the lock
        case .miss: break
        }
        return try cache.reload.withLock {
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

    package func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        try base.revoke(jti: jti, type: type, now: now, expiresAt: expiresAt)
        cache.revoked(jti: jti, expiresAt: expiresAt)
    }

    package func isRevoked(jti: String) throws -> Bool {
        if let answer = cache.isRevoked(jti: jti) { return answer }
        return try base.isRevoked(jti: jti)
    }

    package func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        cache.pruneRevocations(expiredBefore: cutoff)
        return try base.purgeRevocations(expiredBefore: cutoff)
    }

    package func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool {
        let revokedNow = try base.revokeIfLive(jti: jti, type: type, now: now, expiresAt: expiresAt)
        cache.revoked(jti: jti, expiresAt: expiresAt)  // revoked either way
        return revokedNow
    }

    package func deleteUser(named username: String) throws -> Bool {
        defer {
            cache.usersChanged()
            cache.groupsChanged()  // its memberships went with it
        }
        return try base.deleteUser(named: username)
    }

    package func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
        try base.revokeTokens(ofUser: username, issuedBefore: notBefore, now: now)
        cache.userTokensRevoked(username, notBefore: notBefore)
    }

    package func tokensNotBefore(ofUser username: String) throws -> Int64? {
        if case .hit(let notBefore) = cache.tokensNotBefore(ofUser: username) { return notBefore }
        return try base.tokensNotBefore(ofUser: username)
    }

    package func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
        try base.revokeFamily(family, username: username, now: now, expiresAt: expiresAt)
        cache.familyRevoked(family, expiresAt: expiresAt)
    }

    package func isFamilyRevoked(_ family: String) throws -> Bool {
        if let answer = cache.isFamilyRevoked(family) { return answer }
        return try base.isFamilyRevoked(family)
    }

    package func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int {
        cache.pruneFamilies(expiredBefore: cutoff)
        return try base.purgeRevokedFamilies(expiredBefore: cutoff)
    }
}
