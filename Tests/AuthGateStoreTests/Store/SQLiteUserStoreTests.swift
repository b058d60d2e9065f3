import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// The real `SQLiteUserStore` on a file in a temporary directory: unique
/// rules, registration order, revocations.
@Suite struct SQLiteUserStoreTests {
    func insert(
        _ store: SQLiteUserStore, _ name: String, email: String? = nil, id: String? = nil,
        at createdAt: String = "2024-01-01 00:00:00.000000"
    ) throws {
        try store.insertUser(
            id: id ?? "id-\(name)", username: name, email: email ?? "\(name)@x.io",
            passwordHash: "hash-\(name)", createdAt: createdAt)
    }

    func isUniqueViolation(_ body: () throws -> Void) -> Bool {
        do { try body() } catch StoreError.uniqueViolation { return true } catch { return false }
        return false
    }

    @Test func insertsAndReadsBack() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try store.ping()
        try insert(store, "alice")
        #expect(
            try store.user(named: "alice")
                == UserRecord(
                    id: "id-alice", username: "alice", email: "alice@x.io",
                    passwordHash: "hash-alice"))
        #expect(try store.user(named: "bob") == nil)
        #expect(try store.usernameExists("alice") && !store.usernameExists("bob"))
        // A second connection sees the committed row.
        #expect(try db.sqliteStore(migrated: false).user(named: "alice")?.id == "id-alice")
    }

    @Test func usernamesAreUniqueAsBytes() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try insert(store, "alice")
        #expect(isUniqueViolation { try insert(store, "alice", email: "other@x.io", id: "id-2") })
        try insert(store, "Alice", email: "a2@x.io")  // case-sensitive
        try insert(store, "\u{E9}", email: "e1@x.io", id: "id-composed")
        try insert(store, "e\u{301}", email: "e2@x.io", id: "id-decomposed")
        #expect(try store.user(named: "\u{E9}")?.id == "id-composed")
        #expect(try store.user(named: "e\u{301}")?.id == "id-decomposed")
        #expect(try !store.usernameExists("ALICE"))
        #expect(try store.userCount() == 4)
    }

    @Test func emailsAreUniqueIgnoringASCIICaseOnly() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try insert(store, "a", email: "Ann@Example.io")
        #expect(isUniqueViolation { try insert(store, "b", email: "aNN@eXAMPLE.IO") })
        #expect(try store.emailExists("ANN@example.IO"))
        try insert(store, "c", email: "\u{C9}@x.io")  // É: not ASCII, not folded
        try insert(store, "d", email: "\u{E9}@x.io")  // é
        #expect(try store.emailExists("\u{E9}@X.io"))
        #expect(try !store.emailExists("e@x.io"))
        #expect(try store.user(named: "a")?.email == "Ann@Example.io")  // stored as given
        #expect(try store.userCount() == 3)
    }

    @Test func aDuplicateIDIsAUniqueViolation() throws {
        let store = try SQLiteFixture().sqliteStore()
        try insert(store, "a", id: "same")
        #expect(isUniqueViolation { try insert(store, "b", id: "same") })
    }

    @Test func aNULInAKeyMatchesNoOneElse() throws {
        let store = try SQLiteFixture().sqliteStore()
        try insert(store, "nul\u{0}name", email: "n@x.io")
        #expect(try store.user(named: "nul") == nil)
        #expect(try !store.usernameExists("nul"))
        if let found = try store.user(named: "nul\u{0}name") {
            #expect(Array(found.username.utf8) == Array("nul\u{0}name".utf8))
        }
        try insert(store, "nul", email: "n2@x.io")
        #expect(try store.user(named: "nul")?.id == "id-nul")
    }

    /// Adopted rows (no created_at) first, then created_at, ties by insertion.
    @Test func pagesFollowRegistrationOrder() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try insert(store, "late", at: "2024-01-02 00:00:00.000000")
        try insert(store, "tie1", at: "2024-01-01 00:00:00.000001")
        try insert(store, "early", at: "2024-01-01 00:00:00.000000")
        try insert(store, "tie2", at: "2024-01-01 00:00:00.000001")
        try db.exec("INSERT INTO users (id, username, email, password) VALUES ('id-flask', 'flask', 'f@x.io', 'h')")
        let order = ["flask", "early", "tie1", "tie2", "late"]
        #expect(try store.usersPage(limit: 10, offset: 0).map(\.username) == order)
        #expect(try store.usersPage(limit: 2, offset: 0).map(\.username) == ["flask", "early"])
        #expect(try store.usersPage(limit: 2, offset: 2).map(\.username) == ["tie1", "tie2"])
        #expect(try store.usersPage(limit: 2, offset: 4).map(\.username) == ["late"])
        #expect(try store.usersPage(limit: 2, offset: 6).isEmpty)
        #expect(
            try store.usersPage(limit: 1, offset: 2) == [
                PublicUser(id: "id-tie1", username: "tie1", email: "tie1@x.io")
            ])
        #expect(try store.userCount() == 5)
    }

    @Test func revocationsAreKeptUntilTheCutoff() throws {
        let store = try SQLiteFixture().sqliteStore()
        let now = TestApp.now
        try store.revoke(jti: "old", type: "access", now: now, expiresAt: now - 10)
        try store.revoke(jti: "edge", type: "refresh", now: now, expiresAt: now)
        try store.revoke(jti: "live", type: "access", now: now, expiresAt: now + 900)
        try store.revoke(jti: "live", type: "access", now: now, expiresAt: now + 900)  // twice is fine
        try store.revoke(jti: "\u{E9}", type: "access", now: now, expiresAt: now + 900)
        #expect(try store.isRevoked(jti: "old") && store.isRevoked(jti: "edge") && store.isRevoked(jti: "live"))
        #expect(try !store.isRevoked(jti: "never"))
        #expect(try !store.isRevoked(jti: "e\u{301}"))  // bytes, not canonical equivalence
        #expect(try store.purgeRevocations(expiredBefore: now) == 1)
        #expect(try !store.isRevoked(jti: "old"))
        #expect(try store.isRevoked(jti: "edge") && store.isRevoked(jti: "live"))
        #expect(try store.purgeRevocations(expiredBefore: now) == 0)
        #expect(try store.purgeRevocations(expiredBefore: now + 901) == 3)
    }

    @Test func aFileThatCannotBeOpenedIsUnavailable() {
        #expect {
            _ = try SQLiteUserStore(
                path: "/nonexistent-authgate-dir/users.sqlite", echo: false, logger: SQLiteFixture.quiet)
        } throws: { error in
            if case StoreError.unavailable = error { return true }
            return false
        }
    }
}
