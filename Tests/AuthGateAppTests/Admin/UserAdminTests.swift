import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateApp
import AuthGateTestSupport

/// `create-user`, `delete-user`, `revoke-user` over the memory store:
/// register's rules and hash method, clear refusals.
@Suite struct UserAdminTests {
    func admin(method: String = "pbkdf2:sha256:1000") throws -> (UserAdmin, MemoryUserStore) {
        let config = try Config.load(
            environment: ["FLASK_SECRET_KEY": "s", "FLASK_PASSWORD_HASH_METHOD": method],
            dotEnv: [:], workingDirectory: "/nonexistent")
        let store = MemoryUserStore()
        return (UserAdmin(config: config, store: store, clock: TestClock(TestApp.now).clock), store)
    }

    @Test func createsAUserRegisterCouldHaveMade() throws {
        let (admin, store) = try admin()
        let id = try admin.createUser(username: "alice", email: "a@x.io", password: "123456")
        let user = try #require(store.users.first)
        #expect(user.id == id && user.username == "alice" && user.email == "a@x.io")
        #expect(user.passwordHash.hasPrefix("pbkdf2:sha256:1000$"))
        #expect(WerkzeugHash.verify(password: "123456", against: user.passwordHash) == .match)
        #expect(store.createdAt[id] == Timestamp.format(TestApp.now))
    }

    @Test func refusesDuplicatesAndBadFields() throws {
        let (admin, store) = try admin()
        try admin.createUser(username: "alice", email: "a@x.io", password: "123456")
        #expect(throws: AdminError.userExists("alice")) {
            try admin.createUser(username: "alice", email: "b@x.io", password: "123456")
        }
        #expect(throws: AdminError.emailExists("A@X.IO")) {
            try admin.createUser(username: "bob", email: "A@X.IO", password: "123456")
        }
        for (name, email, password, field) in [
            ("has space", "c@x.io", "123456", "username"), ("carol", "no-at", "123456", "email"),
            ("carol", "c@x.io", "12345", "password")
        ] {
            do {
                try admin.createUser(username: name, email: email, password: password)
                Issue.record("accepted \(field)")
            } catch let error as AdminError {
                #expect(error.description.contains(field))
            }
        }
        #expect(store.users.count == 1)
    }

    @Test func deleteAndRevoke() throws {
        let (admin, store) = try admin()
        try admin.createUser(username: "alice", email: "a@x.io", password: "123456")
        #expect(throws: AdminError.noSuchUser("bob")) { try admin.revokeUser(username: "bob") }
        #expect(try admin.revokeUser(username: "alice") == Int64(TestApp.now) + 1)
        #expect(store.notBefore["alice"] == Int64(TestApp.now) + 1)
        try admin.deleteUser(username: "alice")
        #expect(store.users.isEmpty)
        #expect(throws: AdminError.noSuchUser("alice")) { try admin.deleteUser(username: "alice") }
    }

    /// A name registered again after delete-user must not inherit the old
    /// tokens: the delete always records a not-before, no flag needed.
    @Test func deleteAlwaysRevokesTheNamesTokens() throws {
        let (admin, store) = try admin()
        try admin.createUser(username: "alice", email: "a@x.io", password: "123456")
        #expect(store.notBefore["alice"] == nil)
        #expect(try admin.deleteUser(username: "alice") == Int64(TestApp.now) + 1)
        #expect(store.users.isEmpty && store.notBefore["alice"] == Int64(TestApp.now) + 1)
    }

    /// `revoke-user --force`: a name with no user now (deleted before
    /// delete-user revoked, or by SQL) can still have its tokens refused.
    @Test func revokeWithoutRequiringAUser() throws {
        let (admin, store) = try admin()
        #expect(try admin.revokeUser(username: "ghost", requireUser: false) == Int64(TestApp.now) + 1)
        #expect(store.notBefore["ghost"] == Int64(TestApp.now) + 1)
    }
}
