import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// `SQLiteUserStore.migrate`: creates the schema and records its version,
/// skips when that version is current, and adopts the Flask app's table.
@Suite struct SQLiteMigrationTests {
    static let indexes =
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    static let flaskTable = """
        CREATE TABLE users (id VARCHAR NOT NULL, username VARCHAR NOT NULL, email VARCHAR NOT NULL,
        password TEXT NOT NULL, PRIMARY KEY (id))
        """

    @Test func createsTheSchemaAndRecordsItsVersion() throws {
        let db = try SQLiteFixture()
        _ = try db.sqliteStore()
        #expect(try db.scalar("PRAGMA user_version") == String(SQLiteSchema.version))
        #expect(
            try db.column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                == [
                    "authgate_login_failures", "authgate_mfa_recovery", "authgate_mfa_totp", "authgate_mfa_webauthn",
                    "authgate_refresh_families", "authgate_user_groups",
                    "authgate_user_revocations", "authgate_username_keys", "authgate_username_lookalikes",
                    "token_blocklist", "users"
                ])
        #expect(
            try db.column(Self.indexes) == [
                "authgate_login_failures_window", "authgate_mfa_webauthn_user", "authgate_refresh_families_expires",
                "token_blocklist_expires",
                "users_email_lower_key", "users_registration_order",
                "users_username_key"
            ])
        #expect(
            try db.column("SELECT name FROM pragma_table_info('users') ORDER BY cid")
                == ["id", "username", "email", "password", "created_at"])
    }

    @Test func aCurrentSchemaIsLeftAlone() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        // Something migrateOnce would create again, outside what the version check looks at.
        try db.exec("DROP INDEX users_registration_order")
        try store.migrate()
        #expect(try !db.column(Self.indexes).contains("users_registration_order"))
        // An older version runs the migration again.
        try db.exec("PRAGMA user_version = 0")
        try store.migrate()
        #expect(try db.column(Self.indexes).contains("users_registration_order"))
        #expect(try db.scalar("PRAGMA user_version") == String(SQLiteSchema.version))
    }

    /// Skipping takes no write lock, so a start is not held up by another
    /// connection's write transaction. (Were it not skipped, migrate would
    /// fail after its bounded retries, about 23 s.)
    @Test func aCurrentSchemaIsCheckedWithoutTheWriteLock() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try db.exec("BEGIN IMMEDIATE")
        defer { try? db.exec("ROLLBACK") }
        try store.migrate()
    }

    @Test func droppedTablesAreMadeAgainWhateverTheVersionSays() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try db.exec("DROP TABLE token_blocklist")
        try store.migrate()
        try store.revoke(jti: "j", type: "access", now: TestApp.now, expiresAt: TestApp.now + 1)
        #expect(try store.isRevoked(jti: "j"))
    }

    @Test func theFlaskTableIsAdoptedWithoutChangingARow() throws {
        let db = try SQLiteFixture()
        try db.exec(Self.flaskTable)
        try db.exec(
            """
            INSERT INTO users VALUES ('f1', 'old1', 'Old1@x.io', 'pbkdf2:sha256:1000$s$d');
            INSERT INTO users VALUES ('f2', 'old2', 'old2@x.io', 'scrypt:32768:8:1$s$d');
            """)
        let store = try db.sqliteStore()
        #expect(
            try db.column(
                "SELECT id || ' ' || username || ' ' || email || ' ' || password || ' ' || "
                    + "coalesce(created_at, 'null') FROM users ORDER BY rowid")
                == ["f1 old1 Old1@x.io pbkdf2:sha256:1000$s$d null", "f2 old2 old2@x.io scrypt:32768:8:1$s$d null"])
        try store.insertUser(
            id: "n1", username: "new", email: "new@x.io", passwordHash: "h",
            createdAt: "2020-01-01 00:00:00.000000")
        #expect(try store.usersPage(limit: 5, offset: 0).map(\.username) == ["old1", "old2", "new"])
        #expect(throws: StoreError.self) {
            try store.insertUser(id: "n2", username: "x", email: "OLD1@X.IO", passwordHash: "h", createdAt: "t")
        }
    }

    @Test func aFlaskTableThatBreaksUniquenessIsRefusedAndLeftAsItWas() throws {
        let db = try SQLiteFixture()
        try db.exec(Self.flaskTable)
        try db.exec(
            """
            INSERT INTO users VALUES ('1', 'dup', 'a@x.io', 'h'), ('2', 'dup', 'b@x.io', 'h'),
                                     ('3', 'c', 'Same@x.io', 'h'), ('4', 'd', 'same@X.io', 'h');
            """)
        var message = ""
        do {
            _ = try db.sqliteStore()
            Issue.record("migrate accepted duplicates")
        } catch StoreError.schema(let m) {
            message = m
        }
        #expect(message.contains("dup") && message.contains("same@x.io"), "\(message)")
        #expect(
            try db.column("SELECT name FROM pragma_table_info('users') ORDER BY cid")
                == ["id", "username", "email", "password"])
        #expect(try db.scalar("PRAGMA user_version") == "0")
        #expect(try db.scalar("SELECT count(*) FROM users") == "4")
        #expect(try db.column(Self.indexes).isEmpty)
    }
}
