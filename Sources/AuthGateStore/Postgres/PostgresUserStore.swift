import Glibc
import Logging
import AuthGateCore

/// `UserStore` on PostgreSQL through libpq. Every statement is
/// parameterised and prepared once per connection. Every statement but the
/// user insert is safe to run twice, so survives a lost connection (see
/// `PGStatement.Retry`).
final class PostgresUserStore: UserStore {
    let db: PGConnection
    private let logger: Logger

    init(uri: String, echo: Bool, logger: Logger) {
        self.db = PGConnection(uri: uri, echo: echo, logger: logger)
        self.logger = logger
    }

    private enum SQL {
        static let ping = PGStatement(name: "ping", sql: "SELECT 1")
        static let insertUser = PGStatement(name: "insert_user", sql: """
            INSERT INTO users (id, username, email, password, created_at) VALUES ($1, $2, $3, $4, $5::timestamp)
            """, retry: .ifNeverSent)
        static let userByName = PGStatement(name: "user_by_name", sql:
            "SELECT \(UserRecord.columns) FROM users WHERE username = $1")
        static let usernameExists = PGStatement(name: "username_exists", sql:
            "SELECT 1 FROM users WHERE username = $1")
        static let emailExists = PGStatement(name: "email_exists", sql:
            "SELECT 1 FROM users WHERE lower(email COLLATE \"C\") = lower($1 COLLATE \"C\")")
        static let page = PGStatement(name: "users_page", sql: """
            SELECT \(PublicUser.columns) FROM users ORDER BY created_at ASC NULLS FIRST, seq ASC LIMIT $1::bigint OFFSET $2::bigint
            """)
        static let count = PGStatement(name: "users_count", sql: "SELECT count(*) FROM users")
        // ON CONFLICT DO NOTHING: a second run changes nothing.
        static let revoke = PGStatement(name: "revoke", sql: """
            INSERT INTO token_blocklist (jti, type, created_at, expires_at) VALUES ($1, $2, $3::timestamp, $4::timestamp)
            ON CONFLICT (jti) DO NOTHING
            """)
        static let isRevoked = PGStatement(name: "is_revoked", sql: "SELECT 1 FROM token_blocklist WHERE jti = $1")
        static let purge = PGStatement(name: "purge", sql:
            "DELETE FROM token_blocklist WHERE expires_at < $1::timestamp RETURNING 1")  // idempotent
    }

    func ping() throws { try db.execute(SQL.ping, []) }

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        try db.execute(SQL.insertUser, [id, username, email, passwordHash, createdAt])
    }

    func user(named username: String) throws -> UserRecord? {
        // PostgreSQL text cannot hold NUL; such a name matches nobody.
        guard !username.utf8.contains(0) else { return nil }
        return try db.execute(SQL.userByName, [username]).first.map(UserRecord.init(row:))
    }

    func usernameExists(_ username: String) throws -> Bool {
        guard !username.utf8.contains(0) else { return false }
        return try !db.execute(SQL.usernameExists, [username]).isEmpty
    }

    func emailExists(_ email: String) throws -> Bool {
        guard !email.utf8.contains(0) else { return false }
        return try !db.execute(SQL.emailExists, [email]).isEmpty
    }

    func usersPage(limit: Int, offset: Int) throws -> [PublicUser] {
        try db.execute(SQL.page, [String(limit), String(offset)]).map(PublicUser.init(row:))
    }

    func userCount() throws -> Int {
        guard let row = try db.execute(SQL.count, []).first else { throw StoreError.failed("count returned no row") }
        return try row.int(at: 0)
    }

    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        guard !jti.utf8.contains(0) else { return }
        try db.execute(SQL.revoke, [jti, type, Timestamp.format(now), Timestamp.format(expiresAt)])
    }

    func isRevoked(jti: String) throws -> Bool {
        guard !jti.utf8.contains(0) else { return false }
        return try !db.execute(SQL.isRevoked, [jti]).isEmpty
    }

    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        try db.execute(SQL.purge, [Timestamp.format(cutoff)]).count
    }

    /// The layout `migrate` creates, recorded in `authgate_schema`. Bump it
    /// when the DDL below changes.
    static let schemaVersion = 2  // 2: authgate_login_failures
    /// Migration attempts while other transactions hold locks on the tables.
    static let migrationAttempts = 6
    static let lockTimeout = "2s"

    /// Creates the tables, or adopts a `users` table made by the Flask
    /// application. Skipped, taking no lock on `users`, when the recorded
    /// schema version is current and the triggers are in place; otherwise
    /// run under `lock_timeout`, retried with backoff while another
    /// transaction (a long query, pg_dump) holds a conflicting lock.
    func migrate() throws {
        do {
            try Migration.run(attempts: Self.migrationAttempts, version: Self.schemaVersion, logger: logger,
                              isCurrent: schemaIsCurrent, migrateOnce: migrateOnce,
                              lockBusy: { $0 is LockNotAvailable })
        } catch let busy as LockNotAvailable {
            throw StoreError.schema("another transaction kept a lock on users or token_blocklist through \(Self.migrationAttempts) attempts; nothing was changed (\(busy))")
        }
    }

    /// Whether the recorded version is this build's (or newer) and both
    /// triggers exist. Reads the catalogue and `authgate_schema` only.
    private func schemaIsCurrent() throws -> Bool {
        guard try db.exec(unsafeSQL: "SELECT to_regclass('authgate_schema') IS NOT NULL").first?.bool(at: 0) == true
        else { return false }
        // An empty table records no version: 0, never current.
        guard let version = try db.exec(unsafeSQL: "SELECT coalesce(max(version), 0) FROM authgate_schema").first?
                .int(at: 0), version >= Self.schemaVersion else { return false }
        if version > Self.schemaVersion {
            logger.notice("database schema is newer than this build; leaving it as it is",
                          metadata: ["recorded": "\(version)", "built_for": "\(Self.schemaVersion)"])
        }
        return try db.exec(unsafeSQL: ChangeListener.triggersSQL).count == 2
    }

    /// One migration in one transaction: adds the nullable `created_at`, an
    /// ordering sequence, the unique indexes and the triggers. Duplicates
    /// that would break the indexes abort it, naming them, with nothing changed.
    private func migrateOnce() throws {
        try db.exec(unsafeSQL: "BEGIN")
        do {
            // Bounds every lock wait below, the advisory lock's included.
            try db.exec(unsafeSQL: "SET LOCAL lock_timeout = '\(Self.lockTimeout)'")
            // Several responders may start at once; one migrates at a time.
            try db.exec(unsafeSQL: "SELECT pg_advisory_xact_lock(7361746174)")
            if try schemaIsCurrent() {  // another responder just did it
                try db.exec(unsafeSQL: "COMMIT")
                return
            }
            try db.exec(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS users (
                    id text PRIMARY KEY, username text NOT NULL, email text NOT NULL,
                    password text NOT NULL, created_at timestamp(6))
                """)
            let dupNames = try db.exec(unsafeSQL:
                "SELECT username FROM users GROUP BY username HAVING count(*) > 1 ORDER BY 1 LIMIT 20")
            let dupEmails = try db.exec(unsafeSQL: """
                SELECT lower(email COLLATE "C") FROM users GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 20
                """)
            try Migration.refuseDuplicates(usernames: dupNames.map { try $0.string(at: 0) },
                                           emails: dupEmails.map { try $0.string(at: 0) })
            let columns = Set(try db.exec(unsafeSQL: """
                SELECT column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = 'users'
                """).map { try $0.string(at: 0) })
            // No column default for created_at: it would stamp the adopted rows too.
            if !columns.contains("created_at") {
                try db.exec(unsafeSQL: "ALTER TABLE users ADD COLUMN created_at timestamp(6)")
            }
            // bigserial numbers existing rows in their stored order, new ones as inserted.
            if !columns.contains("seq") {
                try db.exec(unsafeSQL: "ALTER TABLE users ADD COLUMN seq bigserial")
            }
            try db.exec(unsafeSQL: """
                CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);
                CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email COLLATE "C"));
                CREATE INDEX IF NOT EXISTS users_registration_order ON users (created_at ASC NULLS FIRST, seq);
                CREATE TABLE IF NOT EXISTS token_blocklist (
                    jti text PRIMARY KEY, type text NOT NULL,
                    created_at timestamp(6) NOT NULL, expires_at timestamp(6) NOT NULL);
                CREATE INDEX IF NOT EXISTS token_blocklist_expires ON token_blocklist (expires_at);
                """)
            try db.exec(unsafeSQL: LoginFailuresSchema.postgresDDL)
            // Created when missing, never dropped and re-created: DROP TRIGGER
            // would take ACCESS EXCLUSIVE on users.
            try db.exec(unsafeSQL: ChangeListener.functionsSQL)
            let present = Set(try db.exec(unsafeSQL: ChangeListener.triggersSQL).map { try $0.string(at: 0) })
            if !present.contains(ChangeListener.usersTrigger) { try db.exec(unsafeSQL: ChangeListener.usersTriggerSQL) }
            if !present.contains(ChangeListener.revocationsTrigger) {
                try db.exec(unsafeSQL: ChangeListener.revocationsTriggerSQL)
            }
            try db.exec(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS authgate_schema (version integer NOT NULL);
                COMMENT ON TABLE authgate_schema IS 'AuthGate schema version: start-up skips its migration when current';
                DELETE FROM authgate_schema;
                INSERT INTO authgate_schema (version) VALUES (\(Self.schemaVersion));
                """)
            try db.exec(unsafeSQL: "COMMIT")
        } catch {
            _ = try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }
}
