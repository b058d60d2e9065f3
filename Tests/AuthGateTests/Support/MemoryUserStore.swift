@testable import AuthGateCore
@testable import AuthGateStore
@testable import AuthGateHTTP
@testable import AuthGateFCGI
@testable import AuthGateApp

/// An in-process `UserStore` for handler tests: rows in memory, every call
/// counted, and an outage switch that makes each call fail as a dead
/// database does.
final class MemoryUserStore: UserStore {
    var users: [UserRecord] = []
    var revoked: [String: Double] = [:]
    var down = false
    private(set) var calls = 0

    private func touch() throws {
        calls += 1
        if down { throw StoreError.unavailable("test outage") }
    }

    func ping() throws { try touch() }

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        try touch()
        users.append(UserRecord(id: id, username: username, email: email, passwordHash: passwordHash))
    }

    func user(named username: String) throws -> UserRecord? {
        try touch()
        return users.first { $0.username.utf8.elementsEqual(username.utf8) }
    }

    func usernameExists(_ username: String) throws -> Bool { try user(named: username) != nil }

    func emailExists(_ email: String) throws -> Bool {
        try touch()
        return users.contains { $0.email.lowercased() == email.lowercased() }
    }

    func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        try touch()
        return users.dropFirst(offset).prefix(limit).map { PublicUser(id: $0.id, username: $0.username, email: $0.email) }
    }

    func userCount() throws -> Int {
        try touch()
        return users.count
    }

    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        try touch()
        revoked[jti] = expiresAt
    }

    func isRevoked(jti: String) throws -> Bool {
        try touch()
        return revoked[jti] != nil
    }

    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        try touch()
        let expired = revoked.filter { $0.value < cutoff }.map(\.key)
        for jti in expired { revoked[jti] = nil }
        return expired.count
    }
}
