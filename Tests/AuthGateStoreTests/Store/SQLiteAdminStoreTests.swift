import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// The SQLite store's parts for the admin CLI and refresh rotation: the
/// per-user not-before, the arbiter insert, revoked families, deletion,
/// and the migration's status and dry run.
@Suite struct SQLiteAdminStoreTests {
    @Test func notBeforeOnlyMovesForward() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        #expect(try store.tokensNotBefore(ofUser: "alice") == nil)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 200, now: 199.5)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 150, now: 149.5)
        #expect(try store.tokensNotBefore(ofUser: "alice") == 200)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 300, now: 299.5)
        #expect(try store.tokensNotBefore(ofUser: "alice") == 300)
        #expect(try store.tokensNotBefore(ofUser: "Alice") == nil)  // bytes, not case-folded
        #expect(try db.column("SELECT count(*) FROM authgate_user_revocations") == ["1"])
        #expect(try db.column("SELECT count(*) FROM users") == ["0"])  // nothing on users
    }

    @Test func theArbiterTellsWhichInsertRevoked() throws {
        let db = try SQLiteFixture()
        let a = try db.sqliteStore(), b = try db.sqliteStore(migrated: false)
        #expect(try a.revokeIfLive(jti: "j", type: "refresh", now: 1, expiresAt: 2))
        #expect(try !b.revokeIfLive(jti: "j", type: "refresh", now: 1, expiresAt: 2))
        #expect(try !a.revokeIfLive(jti: "j", type: "refresh", now: 1, expiresAt: 2))
        #expect(try b.isRevoked(jti: "j"))
    }

    @Test func familiesAreRevokedAndPurgedAfterTheirLastToken() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        #expect(try !store.isFamilyRevoked("f"))
        try store.revokeFamily("f", username: "alice", now: 10, expiresAt: 1000)
        try store.revokeFamily("f", username: "alice", now: 20, expiresAt: 500)  // never shortened
        #expect(try store.isFamilyRevoked("f"))
        #expect(try store.purgeRevokedFamilies(expiredBefore: 999) == 0)
        #expect(try store.isFamilyRevoked("f"))
        #expect(try store.purgeRevokedFamilies(expiredBefore: 1001) == 1)
        #expect(try !store.isFamilyRevoked("f"))
    }

    @Test func deleteUserSaysWhetherThereWasOne() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try store.insertUser(id: "1", username: "alice", email: "a@x.io", passwordHash: "h", createdAt: "2024-01-01")
        #expect(try !store.deleteUser(named: "ALICE"))
        #expect(try store.deleteUser(named: "alice"))
        #expect(try !store.deleteUser(named: "alice"))
        #expect(try store.user(named: "alice") == nil)
    }

    @Test func dryRunChangesNothingAndListsWhatApplyRuns() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore(migrated: false)
        #expect(
            try store.schema.status()
                == SchemaStatus(
                    exists: true, recorded: 0, built: SQLiteSchema.version,
                    isCurrent: false))
        let statements = try store.schema.dryRun()
        #expect(statements.contains { $0.contains("CREATE TABLE IF NOT EXISTS authgate_user_revocations") })
        #expect(statements.last?.contains("PRAGMA user_version = \(SQLiteSchema.version)") == true)
        #expect(try db.column("SELECT name FROM sqlite_master") == [])
        #expect(try db.scalar("PRAGMA user_version") == "0")
        try store.migrate()
        #expect(try store.schema.status().isCurrent)
        #expect(try store.schema.dryRun() == [])
    }

    /// A version-1 file (no admin tables) is not current, whatever else it has.
    @Test func aVersionOneFileIsMigratedAgain() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try db.exec("DROP TABLE authgate_refresh_families; PRAGMA user_version = 1")
        #expect(try !store.schema.status().isCurrent)
        #expect(try store.schema.dryRun().contains { $0.contains("authgate_refresh_families") })
        try store.migrate()
        #expect(try store.schema.status().isCurrent)
    }
}
