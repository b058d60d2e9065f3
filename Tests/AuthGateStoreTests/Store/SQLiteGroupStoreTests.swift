import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// Group memberships on SQLite: keyed by user id in AuthGate's own table,
/// sorted by bytes, gone with their user, and added to a version-4 file by
/// the migration.
@Suite struct SQLiteGroupStoreTests {
    func storeWithUsers() throws -> (SQLiteFixture, SQLiteUserStore) {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try store.insertUser(id: "1", username: "alice", email: "a@x.io", passwordHash: "h", createdAt: "2024-01-01")
        try store.insertUser(id: "2", username: "bob", email: "b@x.io", passwordHash: "h", createdAt: "2024-01-02")
        return (db, store)
    }

    @Test func addRemoveAndListSayWhetherTheyChangedAnything() throws {
        let (_, store) = try storeWithUsers()
        #expect(try store.groups(ofUserID: "1") == [])
        #expect(try store.addToGroup(userID: "1", group: "ops"))
        #expect(try !store.addToGroup(userID: "1", group: "ops"))
        #expect(try store.addToGroup(userID: "1", group: "Admins"))
        #expect(try store.addToGroup(userID: "1", group: "dev.team"))
        #expect(try store.addToGroup(userID: "2", group: "ops"))
        #expect(try store.groups(ofUserID: "1") == ["Admins", "dev.team", "ops"])
        #expect(try store.groups(ofUserID: "2") == ["ops"])
        #expect(try store.removeFromGroup(userID: "1", group: "ops"))
        #expect(try !store.removeFromGroup(userID: "1", group: "ops"))
        #expect(try !store.removeFromGroup(userID: "1", group: "OPS"))  // bytes
        #expect(try store.groups(ofUserID: "1") == ["Admins", "dev.team"])
        let counts = try store.groupMemberCounts()
        #expect(counts.map(\.group) == ["Admins", "dev.team", "ops"] && counts.map(\.members) == [1, 1, 1])
    }

    @Test func aDeletedUsersGroupsGoWithItAndANewOwnerOfTheNameInheritsNone() throws {
        let (db, store) = try storeWithUsers()
        #expect(try store.addToGroup(userID: "1", group: "ops"))
        #expect(try store.addToGroup(userID: "2", group: "ops"))
        #expect(try store.deleteUser(named: "alice"))
        #expect(try db.column("SELECT user_id FROM authgate_user_groups") == ["2"])
        try store.insertUser(id: "3", username: "alice", email: "a2@x.io", passwordHash: "h", createdAt: "2024-01-03")
        #expect(try store.groups(ofUserID: "3") == [])
        #expect(try !store.deleteUser(named: "alice-not-there"))
        #expect(try store.groups(ofUserID: "2") == ["ops"])
    }

    @Test func membershipsOfUsersDeletedBehindAuthGatesBackAreNotCounted() throws {
        let (db, store) = try storeWithUsers()
        #expect(try store.addToGroup(userID: "1", group: "ops"))
        #expect(try store.addToGroup(userID: "2", group: "ops"))
        #expect(try store.addToGroup(userID: "2", group: "solo"))
        try db.exec("DELETE FROM users WHERE id = '2'")  // the Flask application
        let counts = try store.groupMemberCounts()
        #expect(counts.map(\.group) == ["ops"] && counts.map(\.members) == [1])
    }

    @Test func theUsersTableIsNotChanged() throws {
        let (db, store) = try storeWithUsers()
        #expect(try store.addToGroup(userID: "1", group: "ops"))
        #expect(
            try db.column("SELECT name FROM pragma_table_info('users') ORDER BY cid")
                == ["id", "username", "email", "password", "created_at"])
    }

    @Test func aVersion4FileGetsTheTableAndTheCurrentVersion() throws {
        let db = try SQLiteFixture()
        _ = try db.sqliteStore()
        try db.exec("DROP TABLE authgate_user_groups; PRAGMA user_version = 4")
        let store = try db.sqliteStore(migrated: false)
        #expect(try !store.schema.status().isCurrent)
        let plan = try store.schema.dryRun()
        #expect(plan.contains { $0.contains("CREATE TABLE IF NOT EXISTS authgate_user_groups") })
        try store.migrate()
        #expect(
            try store.schema.status()
                == SchemaStatus(
                    exists: true, recorded: SQLiteSchema.version, built: SQLiteSchema.version, isCurrent: true))
        #expect(try store.addToGroup(userID: "1", group: "ops"))
        // A file whose table was dropped keeps its user_version: not current.
        try db.exec("DROP TABLE authgate_user_groups")
        #expect(try !store.schema.status().isCurrent)
    }
}
