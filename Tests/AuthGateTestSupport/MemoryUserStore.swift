import AuthGateCore
import AuthGateStore
import AuthGateHTTP

/// An in-process `UserStore` for handler tests: rows in memory, every call
/// counted, and an outage switch that makes each call fail as a dead
/// database does. Inserts keep the real stores' unique rules (username
/// bytes, e-mail ignoring ASCII case) so handlers meet the same 409 paths.
package final class MemoryUserStore: UserStore {
    package init(users: [UserRecord] = []) { self.users = users }

    package var users: [UserRecord] = []
    /// `created_at` as each insert gave it, by user id.
    package var createdAt: [String: String] = [:]
    package var revoked: [String: Double] = [:]
    /// Login-throttle rows by "key|address"; `loginCalls` names each call
    /// (without its values) in order.
    package var loginFailures: [String: LoginFailures] = [:]
    package private(set) var loginCalls: [String] = []
    /// Makes `replacePasswordHash` fail as a dead database does.
    package var failHashReplacement = false
    /// `revoke-user` not-befores and revoked refresh families.
    package var notBefore: [String: Int64] = [:]
    package var revokedFamilies: [String: Double] = [:]
    /// Group memberships by user id (`MemoryUserStore+Groups`).
    package var memberships: [String: Set<String>] = [:]
    package var totp: [String: TOTPEnrolment] = [:]
    /// Recovery code digests by user id, with whether each was used.
    package var recoveryCodes: [String: [String: Bool]] = [:]
    /// Passkeys in the order they were added.
    package var passkeys: [WebAuthnCredential] = []
    package var down = false
    /// Runs inside `insertUser` before the unique check: a concurrent
    /// registration landing between a handler's exists-checks and its insert.
    package var beforeInsert: (() -> Void)?
    /// Runs after each `user(named:)` lookup: a change (say `delete-user`)
    /// landing while the handler goes on with what it read.
    package var afterUserLookup: (() -> Void)?
    package private(set) var calls = 0

    private func touch() throws {
        calls += 1
        if down { throw StoreError.unavailable("test outage") }
    }

    /// What `lower()` does in both databases: ASCII letters only.
    package static func asciiLowercased(_ s: String) -> [UInt8] {
        s.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
    }

    package func ping() throws { try touch() }

    package func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws
    {
        try touch()
        beforeInsert?()
        if users.contains(where: { $0.username.utf8.elementsEqual(username.utf8) }) {
            throw StoreError.uniqueViolation(constraint: "users_username_key")
        }
        let folded = Self.asciiLowercased(email)
        if users.contains(where: { Self.asciiLowercased($0.email) == folded }) {
            throw StoreError.uniqueViolation(constraint: "users_email_lower_key")
        }
        users.append(UserRecord(id: id, username: username, email: email, passwordHash: passwordHash))
        self.createdAt[id] = createdAt
    }

    /// The key table's rule without a table: every present user's name folded.
    package func usernameKeyTaken(_ key: String) throws -> Bool {
        try touch()
        return users.contains { UsernameFold.key($0.username).map { $0.utf8.elementsEqual(key.utf8) } ?? false }
    }

    package func syncUsernameKeys() throws { try touch() }

    package func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String
    ) throws {
        // The race hook runs before the key check, as a concurrent commit would land.
        let hook = beforeInsert
        beforeInsert = nil
        hook?()
        if try usernameKeyTaken(usernameKey) {
            throw StoreError.uniqueViolation(constraint: "authgate_username_keys_pkey")
        }
        try insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
    }

    package func allUsernames() throws -> [String] {
        try touch()
        return users.map(\.username)
    }

    package func user(named username: String) throws -> UserRecord? {
        try touch()
        defer { afterUserLookup?() }
        return users.first { $0.username.utf8.elementsEqual(username.utf8) }
    }

    package func usernameExists(_ username: String) throws -> Bool { try user(named: username) != nil }

    package func emailExists(_ email: String) throws -> Bool {
        try touch()
        let folded = Self.asciiLowercased(email)
        return users.contains { Self.asciiLowercased($0.email) == folded }
    }

    package func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        try touch()
        // As the databases order them: rows without `created_at` (adopted)
        // first, then by `created_at`, ties in insertion order (a stable sort).
        let ordered = users.enumerated().sorted {
            let (a, b) = (createdAt[$0.element.id] ?? "", createdAt[$1.element.id] ?? "")
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        return ordered.dropFirst(offset).prefix(limit).map {
            PublicUser(id: $0.id, username: $0.username, email: $0.email)
        }
    }

    package func userCount() throws -> Int {
        try touch()
        return users.count
    }

    package func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        try touch()
        revoked[jti] = expiresAt
    }

    package func isRevoked(jti: String) throws -> Bool {
        try touch()
        return revoked[jti] != nil
    }

    package func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        try touch()
        let expired = revoked.filter { $0.value < cutoff }.map(\.key)
        for jti in expired { revoked[jti] = nil }
        return expired.count
    }

    package func loginFailures(key: String, address: String) throws -> LoginFailures? {
        try touch()
        loginCalls.append("read")
        return loginFailures[key + "|" + address]
    }

    package func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        try touch()
        loginCalls.append("record")
        let id = key + "|" + address
        if let row = loginFailures[id], row.windowStartedAt > windowCutoff {
            loginFailures[id] = LoginFailures(failures: row.failures + 1, windowStartedAt: row.windowStartedAt)
        } else {
            loginFailures[id] = LoginFailures(failures: 1, windowStartedAt: now)
        }
    }

    package func clearLoginFailures(key: String, address: String) throws {
        try touch()
        loginCalls.append("clear")
        loginFailures[key + "|" + address] = nil
    }

    package func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int {
        try touch()
        let old = loginFailures.filter { $0.value.windowStartedAt < cutoff }.map(\.key)
        for id in old { loginFailures[id] = nil }
        return old.count
    }

    package func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        try touch()
        if failHashReplacement { throw StoreError.unavailable("test outage") }
        guard let i = users.firstIndex(where: { $0.id == userID && $0.passwordHash == oldHash }) else { return false }
        users[i].passwordHash = newHash
        return true
    }

    package func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool {
        try touch()
        guard revoked[jti] == nil else { return false }
        revoked[jti] = expiresAt
        return true
    }

    package func deleteUser(named username: String) throws -> Bool {
        try touch()
        let before = users.count
        for user in users where user.username.utf8.elementsEqual(username.utf8) {
            memberships[user.id] = nil
            totp[user.id] = nil
            recoveryCodes[user.id] = nil
            passkeys.removeAll { $0.userID == user.id }
        }
        users.removeAll { $0.username.utf8.elementsEqual(username.utf8) }
        return users.count < before
    }

    package func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
        try touch()
        self.notBefore[username] = max(self.notBefore[username] ?? notBefore, notBefore)
    }

    package func tokensNotBefore(ofUser username: String) throws -> Int64? {
        try touch()
        return notBefore[username]
    }

    package func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
        try touch()
        revokedFamilies[family] = max(revokedFamilies[family] ?? expiresAt, expiresAt)
    }

    package func isFamilyRevoked(_ family: String) throws -> Bool {
        try touch()
        return revokedFamilies[family] != nil
    }

    package func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int {
        try touch()
        let expired = revokedFamilies.filter { $0.value < cutoff }.map(\.key)
        for family in expired { revokedFamilies[family] = nil }
        return expired.count
    }

    package func groups(ofUserID userID: String) throws -> [String] {
        try touch()
        return GroupName.sorted(Array(memberships[userID] ?? []))
    }

    package func addToGroup(userID: String, group: String) throws -> Bool {
        try touch()
        return memberships[userID, default: []].insert(group).inserted
    }

    package func removeFromGroup(userID: String, group: String) throws -> Bool {
        try touch()
        return memberships[userID]?.remove(group) != nil
    }

    /// Members that are present users only, as the real stores count.
    package func groupMemberCounts() throws -> [(group: String, members: Int)] {
        try touch()
        var counts: [String: Int] = [:]
        for user in users { for group in memberships[user.id] ?? [] { counts[group, default: 0] += 1 } }
        return GroupName.sorted(Array(counts.keys)).map { (group: $0, members: counts[$0] ?? 0) }
    }

    package func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment? {
        try touch()
        return totp[userID]
    }

    package func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool {
        try touch()
        if totp[userID]?.confirmed == true { return false }
        totp[userID] = TOTPEnrolment(sealedSecret: sealedSecret, confirmed: false, lastStep: -1)
        return true
    }

    package func confirmTOTP(
        userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double
    ) throws -> Bool {
        try touch()
        guard let row = totp[userID], !row.confirmed, row.sealedSecret == sealedSecret else { return false }
        totp[userID] = TOTPEnrolment(sealedSecret: sealedSecret, confirmed: true, lastStep: step)
        recoveryCodes[userID] = Dictionary(uniqueKeysWithValues: recoveryDigests.map { ($0, false) })
        return true
    }

    package func useTOTPStep(userID: String, step: Int64) throws -> Bool {
        try touch()
        guard let row = totp[userID], row.confirmed, row.lastStep < step else { return false }
        totp[userID]?.lastStep = step
        return true
    }

    package func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool {
        try touch()
        guard recoveryCodes[userID]?[digest] == false else { return false }
        recoveryCodes[userID]?[digest] = true
        return true
    }

    package func unusedRecoveryCodes(ofUserID userID: String) throws -> Int {
        try touch()
        return recoveryCodes[userID]?.values.filter { !$0 }.count ?? 0
    }

    package func removeMFA(userID: String) throws -> Bool {
        try touch()
        let had =
            totp[userID] != nil || !(recoveryCodes[userID]?.isEmpty ?? true)
            || passkeys.contains { $0.userID == userID }
        totp[userID] = nil
        recoveryCodes[userID] = nil
        passkeys.removeAll { $0.userID == userID }
        return had
    }

    package func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool {
        try touch()
        let before = passkeys.count
        passkeys.removeAll { $0.credentialID == credentialID && $0.userID == userID }
        return passkeys.count < before
    }

    package func removeTOTP(userID: String) throws -> Bool {
        try touch()
        let had = totp[userID] != nil || !(recoveryCodes[userID]?.isEmpty ?? true)
        totp[userID] = nil
        recoveryCodes[userID] = nil
        return had
    }

    package func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential] {
        try touch()
        return passkeys.filter { $0.userID == userID }
    }

    package func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)? {
        try touch()
        guard let credential = passkeys.first(where: { $0.credentialID == credentialID }),
            let user = users.first(where: { $0.id == credential.userID })
        else { return nil }
        return (credential, user.username)
    }

    package func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool {
        try touch()
        guard !passkeys.contains(where: { $0.credentialID == credential.credentialID }) else { return false }
        passkeys.append(credential)
        return true
    }

    package func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool {
        try touch()
        guard
            let i = passkeys.firstIndex(where: {
                $0.credentialID == credentialID && $0.userID == userID && $0.signCount == old
            })
        else { return false }
        passkeys[i].signCount = new
        return true
    }
}
