/// Login failures are never cached: every responder must see every
/// failure at once. A replaced hash changes a cached user.
extension CachedUserStore {
    package func loginFailures(key: String, address: String) throws -> LoginFailures? {
        try base.loginFailures(key: key, address: address)
    }

    package func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        try base.recordLoginFailure(key: key, address: address, now: now, windowCutoff: windowCutoff)
    }

    package func clearLoginFailures(key: String, address: String) throws {
        try base.clearLoginFailures(key: key, address: address)
    }

    package func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int {
        try base.purgeLoginFailures(windowStartedBefore: cutoff)
    }

    package func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        defer { cache.usersChanged() }
        return try base.replacePasswordHash(userID: userID, oldHash: oldHash, newHash: newHash)
    }
}
