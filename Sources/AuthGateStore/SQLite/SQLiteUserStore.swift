import Glibc
import Logging
import AuthGateCore

/// `UserStore` on SQLite, the embedded default. Usernames compare with
/// SQLite's BINARY collation (bytes); `lower()` folds ASCII only.
final class SQLiteUserStore: UserStore {
    let db: SQLiteConnection
    private let logger: Logger

    /// `readOnly`: a store that can only read (schema status, dry run).
    init(path: String, echo: Bool, logger: Logger, readOnly: Bool = false) throws {
        self.db = try SQLiteConnection(path: path, echo: echo, logger: logger, readOnly: readOnly)
        self.logger = logger
    }

    func ping() throws { try db.execute("SELECT 1", []) }

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        try db.execute(
            "INSERT INTO users (id, username, email, password, created_at) VALUES (?, ?, ?, ?, ?)",
            [id, username, email, passwordHash, createdAt])
    }

    func user(named username: String) throws -> UserRecord? {
        try db.execute("SELECT \(UserRecord.columns) FROM users WHERE username = ?", [username]).first
            .map(UserRecord.init(row:))
    }

    func usernameExists(_ username: String) throws -> Bool {
        try !db.execute("SELECT 1 FROM users WHERE username = ?", [username]).isEmpty
    }

    func emailExists(_ email: String) throws -> Bool {
        try !db.execute("SELECT 1 FROM users WHERE lower(email) = lower(?)", [email]).isEmpty
    }

    func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        // Bound as text; SQLite's integer affinity for LIMIT/OFFSET converts them.
        try db.execute(
            "SELECT \(PublicUser.columns) FROM users ORDER BY created_at ASC, rowid ASC LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)",
            [String(limit), String(offset)]
        ).map(PublicUser.init(row:))
    }

    func userCount() throws -> Int {
        guard let row = try db.execute("SELECT count(*) FROM users", []).first else {
            throw StoreError.failed("count returned no row")
        }
        return try row.int(at: 0)
    }

    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        try db.execute(
            "INSERT OR IGNORE INTO token_blocklist (jti, type, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [jti, type, Timestamp.format(now), Timestamp.format(expiresAt)])
    }

    func isRevoked(jti: String) throws -> Bool {
        try !db.execute("SELECT 1 FROM token_blocklist WHERE jti = ?", [jti]).isEmpty
    }

    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        try db.execute("DELETE FROM token_blocklist WHERE expires_at < ?", [Timestamp.format(cutoff)])
        return db.changes
    }

    func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool {
        // One connection per thread: `changes` is this statement's count.
        try revoke(jti: jti, type: type, now: now, expiresAt: expiresAt)
        return db.changes == 1
    }

    func deleteUser(named username: String) throws -> Bool {
        // One write transaction: the user and its memberships, or neither.
        try db.exec(unsafeSQL: "BEGIN IMMEDIATE")
        do {
            try db.execute(
                "DELETE FROM authgate_user_groups WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
                [username])
            try db.execute("DELETE FROM users WHERE username = ?", [username])
            let deleted = db.changes > 0
            try db.exec(unsafeSQL: "COMMIT")
            return deleted
        } catch {
            try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }

    func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
        try db.execute(
            """
            INSERT INTO authgate_user_revocations (username, not_before, revoked_at) VALUES (?, CAST(? AS INTEGER), ?)
            ON CONFLICT (username) DO UPDATE SET
                not_before = max(not_before, excluded.not_before), revoked_at = excluded.revoked_at
            """, [username, String(notBefore), Timestamp.format(now)])
    }

    func tokensNotBefore(ofUser username: String) throws -> Int64? {
        guard
            let row = try db.execute(
                "SELECT not_before FROM authgate_user_revocations WHERE username = ?",
                [username]
            ).first
        else { return nil }
        return Int64(try row.int(at: 0))
    }

    func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
        try db.execute(
            """
            INSERT INTO authgate_refresh_families (family, username, revoked_at, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (family) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)
            """, [family, username, Timestamp.format(now), Timestamp.format(expiresAt)])
    }

    func isFamilyRevoked(_ family: String) throws -> Bool {
        try !db.execute("SELECT 1 FROM authgate_refresh_families WHERE family = ?", [family]).isEmpty
    }

    func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int {
        try db.execute("DELETE FROM authgate_refresh_families WHERE expires_at < ?", [Timestamp.format(cutoff)])
        return db.changes
    }

    /// The layout `migrate` creates, recorded in `PRAGMA user_version`
    /// (Flask leaves it 0). Bump it when the DDL below changes.
    /// 2: authgate_login_failures; 3: authgate_user_revocations,
    /// authgate_refresh_families; 4: authgate_username_keys,
    /// authgate_username_lookalikes; 5: authgate_user_groups.
    static let schemaVersion = 5
    /// Migration attempts while another connection holds the write lock
    /// (each waits up to the busy timeout).
    static let migrationAttempts = 4

    /// Creates the tables or adopts the Flask application's `users` table
    /// (see `PostgresUserStore.migrate`); SQLite orders by `rowid`. Skipped
    /// when the recorded version is current: no write lock is taken, so a
    /// start during another process's long write transaction is not held up.
    func migrate() throws {
        try Migration.run(
            attempts: Self.migrationAttempts, version: Self.schemaVersion, logger: logger,
            isCurrent: schemaIsCurrent, migrateOnce: { try migrateOnce() },
            lockBusy: { if case StoreError.unavailable = $0 { return true } else { return false } })
    }

    private func schemaIsCurrent() throws -> Bool {
        guard let version = try db.execute("PRAGMA user_version", []).first?.int(at: 0),
            version >= Self.schemaVersion
        else { return false }
        // A file whose tables were dropped or replaced keeps its user_version.
        let found = try db.execute(
            """
            SELECT count(*) FROM sqlite_master WHERE type = 'index'
            AND name IN ('users_username_key', 'users_email_lower_key', 'token_blocklist_expires',
                         'authgate_login_failures_window')
            """, []
        ).first?.int(at: 0)
        guard found == 4 else { return false }
        let adminTables = try db.execute(
            """
            SELECT count(*) FROM sqlite_master WHERE type = 'table'
            AND name IN ('authgate_user_revocations', 'authgate_refresh_families', 'authgate_username_keys',
                         'authgate_username_lookalikes')
            """, []
        ).first?.int(at: 0)
        guard adminTables == 4 else { return false }
        return try db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            [UserGroupsSchema.table]
        ).first?.int(at: 0) == 1
    }

    /// What `authgate migrate status` reports; reads only.
    func schemaStatus() throws -> SchemaStatus {
        let recorded = try db.execute("PRAGMA user_version", []).first?.int(at: 0) ?? 0
        return SchemaStatus(
            exists: true, recorded: recorded, built: Self.schemaVersion,
            isCurrent: try schemaIsCurrent())
    }

    /// The statements `migrate` would run now; empty when the schema is
    /// current. Worked out by reads only (`migrationPlan`, which `migrate`
    /// runs as it is), in one read transaction: no write lock, nothing
    /// changed. Open the store read-only for it.
    func migrationDryRun() throws -> [String] {
        try db.exec(unsafeSQL: "BEGIN")
        do {
            let plan = try schemaIsCurrent() ? [] : try migrationPlan()
            try db.exec(unsafeSQL: "ROLLBACK")
            return plan
        } catch {
            try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }

    /// AuthGate's own tables for `revoke-user`, refresh-token families and
    /// caseless usernames (`UsernameKeyStore`).
    static let adminTablesSQL = """
        CREATE TABLE IF NOT EXISTS authgate_user_revocations (
            username VARCHAR NOT NULL PRIMARY KEY, not_before INTEGER NOT NULL, revoked_at DATETIME NOT NULL);
        CREATE TABLE IF NOT EXISTS authgate_refresh_families (
            family VARCHAR NOT NULL PRIMARY KEY, username VARCHAR NOT NULL,
            revoked_at DATETIME NOT NULL, expires_at DATETIME NOT NULL);
        CREATE INDEX IF NOT EXISTS authgate_refresh_families_expires ON authgate_refresh_families (expires_at);
        CREATE TABLE IF NOT EXISTS authgate_username_keys (
            key VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS authgate_username_lookalikes (user_id VARCHAR NOT NULL PRIMARY KEY);
        """

    /// The statements that bring the file as it is now to this build's
    /// schema, found by reads only: a missing `users` table is created, a
    /// Flask one adopted (`created_at`, the unique indexes), then
    /// AuthGate's tables. Duplicates that would break the unique indexes
    /// throw, naming them.
    private func migrationPlan() throws -> [String] {
        var plan = [
            """
            CREATE TABLE IF NOT EXISTS users (
                id VARCHAR NOT NULL PRIMARY KEY, username VARCHAR NOT NULL, email VARCHAR NOT NULL,
                password TEXT NOT NULL, created_at DATETIME)
            """
        ]
        let usersExist =
            try db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'", []
            ).first?.int(at: 0) == 1
        if usersExist {
            let dupNames = try db.execute(
                "SELECT username FROM users GROUP BY username HAVING count(*) > 1 ORDER BY 1 LIMIT 20", [])
            let dupEmails = try db.execute(
                "SELECT lower(email) FROM users GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 20", [])
            try Migration.refuseDuplicates(
                usernames: dupNames.map { try $0.string(at: 0) },
                emails: dupEmails.map { try $0.string(at: 0) })
            let columns = try db.execute("SELECT name FROM pragma_table_info('users')", []).map { try $0.string(at: 0) }
            if !columns.contains("created_at") { plan.append("ALTER TABLE users ADD COLUMN created_at DATETIME") }
        }
        plan.append(Self.adminTablesSQL)
        plan.append(UserGroupsSchema.sqliteDDL)
        plan.append(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);
            CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email));
            CREATE INDEX IF NOT EXISTS users_registration_order ON users (created_at);
            CREATE TABLE IF NOT EXISTS token_blocklist (
                jti VARCHAR NOT NULL PRIMARY KEY, type VARCHAR NOT NULL,
                created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL);
            CREATE INDEX IF NOT EXISTS token_blocklist_expires ON token_blocklist (expires_at);
            \(LoginFailuresSchema.sqliteDDL)
            PRAGMA user_version = \(Self.schemaVersion);
            """)
        return plan
    }

    /// `migrationPlan`, worked out and run under the write lock, in one
    /// transaction. `executed`, for tests: told each statement as it runs.
    func migrateOnce(executed: ((String) -> Void)? = nil) throws {
        try db.exec(unsafeSQL: "BEGIN IMMEDIATE")
        do {
            for statement in try migrationPlan() {
                executed?(statement)
                try db.exec(unsafeSQL: statement)
            }
            try db.exec(unsafeSQL: "COMMIT")
        } catch {
            try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }
}
