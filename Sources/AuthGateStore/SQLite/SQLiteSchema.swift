import Glibc
import Logging
import AuthGateCore

/// AuthGate's schema on SQLite: every table and index it creates, the
/// migration that creates or adopts them (`migrate`, `dryRun`), and where
/// a file stands against them (`status`). Queries live in
/// `SQLiteUserStore`, which only reads and writes rows.
struct SQLiteSchema {
    let db: SQLiteConnection
    let logger: Logger

    /// The layout `migrate` creates, recorded in `PRAGMA user_version`
    /// (Flask leaves it 0). Bump it when the DDL below changes.
    /// 2: authgate_login_failures; 3: authgate_user_revocations,
    /// authgate_refresh_families; 4: authgate_username_keys,
    /// authgate_username_lookalikes; 5: authgate_user_groups; 6: authgate_mfa_totp,
    /// authgate_mfa_recovery, authgate_mfa_webauthn.
    static let version = 6
    /// Migration attempts while another connection holds the write lock
    /// (each waits up to the busy timeout).
    static let migrationAttempts = 4

    /// Creates the tables or adopts the Flask application's `users` table
    /// (see `PostgresSchema.migrate`); SQLite orders by `rowid`. Skipped
    /// when the recorded version is current: no write lock is taken, so a
    /// start during another process's long write transaction is not held up.
    func migrate() throws {
        try Migration.run(
            attempts: Self.migrationAttempts, version: Self.version, logger: logger,
            isCurrent: isCurrent, migrateOnce: { try migrateOnce() },
            lockBusy: { if case StoreError.unavailable = $0 { return true } else { return false } })
    }

    private func isCurrent() throws -> Bool {
        guard let version = try db.execute("PRAGMA user_version", []).first?.int(at: 0),
            version >= Self.version
        else { return false }
        // A file whose tables were dropped or replaced keeps its user_version.
        let indexes = [
            "users_username_key", "users_email_lower_key", "token_blocklist_expires", "authgate_login_failures_window"
        ]
        let tables = [
            "authgate_user_revocations", "authgate_refresh_families", "authgate_username_keys",
            "authgate_username_lookalikes", Self.userGroupsTable, "authgate_mfa_totp", "authgate_mfa_recovery",
            "authgate_mfa_webauthn"
        ]
        return try count(of: "index", named: indexes) == indexes.count
            && count(of: "table", named: tables) == tables.count
    }

    /// How many of `names` exist as schema objects of `type`.
    private func count(of type: String, named names: [String]) throws -> Int? {
        let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
        return try db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = ? AND name IN (\(marks))", [type] + names
        ).first?.int(at: 0)
    }

    /// What `authgate migrate status` reports; reads only.
    func status() throws -> SchemaStatus {
        let recorded = try db.execute("PRAGMA user_version", []).first?.int(at: 0) ?? 0
        return SchemaStatus(
            exists: true, recorded: recorded, built: Self.version,
            isCurrent: try isCurrent())
    }

    /// The statements `migrate` would run now; empty when the schema is
    /// current. Worked out by reads only (`migrationPlan`, which `migrate`
    /// runs as it is), in one read transaction: no write lock, nothing
    /// changed. Open the store read-only for it.
    func dryRun() throws -> [String] {
        try db.exec(unsafeSQL: "BEGIN")
        do {
            let plan = try isCurrent() ? [] : try migrationPlan()
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

    /// The login throttle's table (`LoginFailureStore`).
    static let loginFailuresSQL = """
        CREATE TABLE IF NOT EXISTS authgate_login_failures (
            username TEXT NOT NULL, address TEXT NOT NULL, failures INTEGER NOT NULL,
            window_started_at REAL NOT NULL, PRIMARY KEY (username, address));
        CREATE INDEX IF NOT EXISTS authgate_login_failures_window ON authgate_login_failures (window_started_at);
        """
    /// The groups of each user (schema version 5). The primary key
    /// (user_id, group_name) is also the index of the one read on the
    /// request path: a user's groups.
    static let userGroupsTable = "authgate_user_groups"
    static let userGroupsSQL = """
        CREATE TABLE IF NOT EXISTS authgate_user_groups (
            user_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL, PRIMARY KEY (user_id, group_name));
        """

    /// Second factors (schema version 6, `MFAStore`): one TOTP secret per
    /// user, sealed; recovery codes as keyed digests.
    static let mfaSQL = """
        CREATE TABLE IF NOT EXISTS authgate_mfa_totp (
            user_id VARCHAR NOT NULL PRIMARY KEY, secret TEXT NOT NULL, created_at DATETIME NOT NULL,
            confirmed_at DATETIME, last_step INTEGER NOT NULL DEFAULT -1);
        CREATE TABLE IF NOT EXISTS authgate_mfa_recovery (
            user_id VARCHAR NOT NULL, code_digest VARCHAR NOT NULL, used_at DATETIME,
            PRIMARY KEY (user_id, code_digest));
        CREATE TABLE IF NOT EXISTS authgate_mfa_webauthn (
            credential_id VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR NOT NULL, public_key TEXT NOT NULL,
            algorithm INTEGER NOT NULL, sign_count INTEGER NOT NULL, created_at DATETIME NOT NULL);
        CREATE INDEX IF NOT EXISTS authgate_mfa_webauthn_user ON authgate_mfa_webauthn (user_id);
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
        plan.append(Self.userGroupsSQL)
        plan.append(Self.mfaSQL)
        plan.append(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);
            CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email));
            CREATE INDEX IF NOT EXISTS users_registration_order ON users (created_at);
            CREATE TABLE IF NOT EXISTS token_blocklist (
                jti VARCHAR NOT NULL PRIMARY KEY, type VARCHAR NOT NULL,
                created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL);
            CREATE INDEX IF NOT EXISTS token_blocklist_expires ON token_blocklist (expires_at);
            \(Self.loginFailuresSQL)
            PRAGMA user_version = \(Self.version);
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
