import AuthGateCore
import AuthGateStore

/// The fuzz target's store: rows in memory with the real stores' unique
/// rules (username bytes, e-mail ignoring ASCII case), after the tests'
/// MemoryUserStore without its counters and outage switch. One per input.
final class FuzzUserStore: UserStore {
    private var users: [UserRecord]
    private var revoked: [String: Double] = [:]
    private var loginFailures: [String: LoginFailures] = [:]
    private var notBefore: [String: Int64] = [:]
    private var revokedFamilies: [String: Double] = [:]
    private var memberships: [String: Set<String>] = [:]

    init(users: [UserRecord]) { self.users = users }

    /// What `lower()` does in both databases: ASCII letters only.
    private static func folded(_ s: String) -> [UInt8] {
        s.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
    }

    func ping() throws {}

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        if try usernameExists(username) { throw StoreError.uniqueViolation(constraint: "users_username_key") }
        if try emailExists(email) { throw StoreError.uniqueViolation(constraint: "users_email_lower_key") }
        users.append(UserRecord(id: id, username: username, email: email, passwordHash: passwordHash))
    }

    func usernameKeyTaken(_ key: String) throws -> Bool {
        users.contains { UsernameFold.key($0.username).map { $0.utf8.elementsEqual(key.utf8) } ?? false }
    }

    func syncUsernameKeys() throws {}

    func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String
    ) throws {
        if try usernameKeyTaken(usernameKey) {
            throw StoreError.uniqueViolation(constraint: "authgate_username_keys_pkey")
        }
        try insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
    }

    func allUsernames() throws -> [String] { users.map(\.username) }

    func user(named username: String) throws -> UserRecord? {
        users.first { $0.username.utf8.elementsEqual(username.utf8) }
    }

    func usernameExists(_ username: String) throws -> Bool { try user(named: username) != nil }

    func emailExists(_ email: String) throws -> Bool {
        let key = Self.folded(email)
        return users.contains { Self.folded($0.email) == key }
    }

    func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        users.dropFirst(offset).prefix(limit).map { PublicUser(id: $0.id, username: $0.username, email: $0.email) }
    }

    func userCount() throws -> Int { users.count }

    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws { revoked[jti] = expiresAt }

    func isRevoked(jti: String) throws -> Bool { revoked[jti] != nil }

    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        let expired = revoked.filter { $0.value < cutoff }.map(\.key)
        for jti in expired { revoked[jti] = nil }
        return expired.count
    }

    func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool {
        guard revoked[jti] == nil else { return false }
        revoked[jti] = expiresAt
        return true
    }

    func deleteUser(named username: String) throws -> Bool {
        let before = users.count
        for user in users where user.username.utf8.elementsEqual(username.utf8) { memberships[user.id] = nil }
        users.removeAll { $0.username.utf8.elementsEqual(username.utf8) }
        return users.count < before
    }

    func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
        self.notBefore[username] = max(self.notBefore[username] ?? notBefore, notBefore)
    }

    func tokensNotBefore(ofUser username: String) throws -> Int64? { notBefore[username] }

    func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
        revokedFamilies[family] = max(revokedFamilies[family] ?? expiresAt, expiresAt)
    }

    func isFamilyRevoked(_ family: String) throws -> Bool { revokedFamilies[family] != nil }

    func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int {
        let expired = revokedFamilies.filter { $0.value < cutoff }.map(\.key)
        for family in expired { revokedFamilies[family] = nil }
        return expired.count
    }

    func loginFailures(key: String, address: String) throws -> LoginFailures? { loginFailures[key + "|" + address] }

    func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        let id = key + "|" + address
        if let row = loginFailures[id], row.windowStartedAt > windowCutoff {
            loginFailures[id] = LoginFailures(failures: row.failures + 1, windowStartedAt: row.windowStartedAt)
        } else {
            loginFailures[id] = LoginFailures(failures: 1, windowStartedAt: now)
        }
    }

    func clearLoginFailures(key: String, address: String) throws { loginFailures[key + "|" + address] = nil }

    func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int {
        let old = loginFailures.filter { $0.value.windowStartedAt < cutoff }.map(\.key)
        for id in old { loginFailures[id] = nil }
        return old.count
    }

    func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        guard let i = users.firstIndex(where: { $0.id == userID && $0.passwordHash == oldHash }) else { return false }
        users[i].passwordHash = newHash
        return true
    }

    func groups(ofUserID userID: String) throws -> [String] { GroupName.sorted(Array(memberships[userID] ?? [])) }

    func addToGroup(userID: String, group: String) throws -> Bool {
        memberships[userID, default: []].insert(group).inserted
    }

    func removeFromGroup(userID: String, group: String) throws -> Bool {
        memberships[userID]?.remove(group) != nil
    }

    func groupMemberCounts() throws -> [(group: String, members: Int)] {
        var counts: [String: Int] = [:]
        for user in users { for group in memberships[user.id] ?? [] { counts[group, default: 0] += 1 } }
        return GroupName.sorted(Array(counts.keys)).map { (group: $0, members: counts[$0] ?? 0) }
    }
}
