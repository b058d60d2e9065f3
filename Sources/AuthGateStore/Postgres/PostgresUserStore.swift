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
        static let insertUser = PGStatement(
            name: "insert_user",
            sql: """
                INSERT INTO users (id, username, email, password, created_at) VALUES ($1, $2, $3, $4, $5::timestamp)
                """, retry: .ifNeverSent)
        static let userByName = PGStatement(
            name: "user_by_name",
            sql:
                "SELECT \(UserRecord.columns) FROM users WHERE username = $1")
        static let usernameExists = PGStatement(
            name: "username_exists",
            sql:
                "SELECT 1 FROM users WHERE username = $1")
        static let emailExists = PGStatement(
            name: "email_exists",
            sql:
                "SELECT 1 FROM users WHERE lower(email COLLATE \"C\") = lower($1 COLLATE \"C\")")
        static let page = PGStatement(
            name: "users_page",
            sql: """
                SELECT \(PublicUser.columns) FROM users ORDER BY created_at ASC NULLS FIRST, seq ASC LIMIT $1::bigint OFFSET $2::bigint
                """)
        static let count = PGStatement(name: "users_count", sql: "SELECT count(*) FROM users")
        // ON CONFLICT DO NOTHING: a second run changes nothing.
        static let revoke = PGStatement(
            name: "revoke",
            sql: """
                INSERT INTO token_blocklist (jti, type, created_at, expires_at) VALUES ($1, $2, $3::timestamp, $4::timestamp)
                ON CONFLICT (jti) DO NOTHING
                """)
        static let isRevoked = PGStatement(name: "is_revoked", sql: "SELECT 1 FROM token_blocklist WHERE jti = $1")
        static let purge = PGStatement(
            name: "purge",
            sql:
                "DELETE FROM token_blocklist WHERE expires_at < $1::timestamp RETURNING 1")  // idempotent
        // The rotation's arbiter: RETURNING tells the one insert that took
        // the jti. Never re-sent: a second run would see the first's row.
        static let revokeIfLive = PGStatement(
            name: "revoke_if_live",
            sql: """
                INSERT INTO token_blocklist (jti, type, created_at, expires_at) VALUES ($1, $2, $3::timestamp, $4::timestamp)
                ON CONFLICT (jti) DO NOTHING RETURNING 1
                """, retry: .ifNeverSent)
        // The user's memberships go in the same statement: a data-modifying
        // CTE runs once, whether or not the outer query reads it.
        static let deleteUser = PGStatement(
            name: "delete_user",
            sql: """
                WITH gone AS (DELETE FROM users WHERE username = $1 RETURNING id),
                     memberships AS (DELETE FROM authgate_user_groups WHERE user_id IN (SELECT id FROM gone))
                SELECT 1 FROM gone
                """, retry: .ifNeverSent)
        // Only ever moves forward, so running it twice changes nothing more.
        static let revokeUserTokens = PGStatement(
            name: "revoke_user_tokens",
            sql: """
                INSERT INTO authgate_user_revocations (username, not_before, revoked_at) VALUES ($1, $2::bigint, $3::timestamp)
                ON CONFLICT (username) DO UPDATE SET
                    not_before = greatest(authgate_user_revocations.not_before, excluded.not_before),
                    revoked_at = excluded.revoked_at
                """)
        static let tokensNotBefore = PGStatement(
            name: "tokens_not_before",
            sql:
                "SELECT not_before FROM authgate_user_revocations WHERE username = $1")
        static let revokeFamily = PGStatement(
            name: "revoke_family",
            sql: """
                INSERT INTO authgate_refresh_families (family, username, revoked_at, expires_at)
                VALUES ($1, $2, $3::timestamp, $4::timestamp)
                ON CONFLICT (family) DO UPDATE SET
                    expires_at = greatest(authgate_refresh_families.expires_at, excluded.expires_at)
                """)
        static let isFamilyRevoked = PGStatement(
            name: "is_family_revoked",
            sql:
                "SELECT 1 FROM authgate_refresh_families WHERE family = $1")
        static let purgeFamilies = PGStatement(
            name: "purge_families",
            sql:
                "DELETE FROM authgate_refresh_families WHERE expires_at < $1::timestamp RETURNING 1")
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

    func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool {
        guard !jti.utf8.contains(0) else { return false }
        return try !db.execute(SQL.revokeIfLive, [jti, type, Timestamp.format(now), Timestamp.format(expiresAt)])
            .isEmpty
    }

    func deleteUser(named username: String) throws -> Bool {
        guard !username.utf8.contains(0) else { return false }
        return try !db.execute(SQL.deleteUser, [username]).isEmpty
    }

    func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
        guard !username.utf8.contains(0) else { throw StoreError.failed("a username cannot contain NUL") }
        try db.execute(SQL.revokeUserTokens, [username, String(notBefore), Timestamp.format(now)])
    }

    func tokensNotBefore(ofUser username: String) throws -> Int64? {
        guard !username.utf8.contains(0) else { return nil }
        guard let row = try db.execute(SQL.tokensNotBefore, [username]).first else { return nil }
        return Int64(try row.int(at: 0))
    }

    func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
        guard !family.utf8.contains(0), !username.utf8.contains(0) else { return }
        try db.execute(SQL.revokeFamily, [family, username, Timestamp.format(now), Timestamp.format(expiresAt)])
    }

    func isFamilyRevoked(_ family: String) throws -> Bool {
        guard !family.utf8.contains(0) else { return false }
        return try !db.execute(SQL.isFamilyRevoked, [family]).isEmpty
    }

    func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int {
        try db.execute(SQL.purgeFamilies, [Timestamp.format(cutoff)]).count
    }

    /// The layout `migrate` creates, recorded in `authgate_schema`. Bump it
    /// when the DDL below changes.
    /// 2: authgate_login_failures; 3: authgate_user_revocations,
    /// authgate_refresh_families; 4: authgate_username_keys,
    /// authgate_username_lookalikes; 5: authgate_user_groups.
    static let schemaVersion = 5
    /// AuthGate's own tables for `revoke-user`, refresh-token families and
    /// caseless usernames (never columns on `users`: a Flask app shares
    /// that table).
    static let adminTablesSQL = """
        CREATE TABLE IF NOT EXISTS authgate_user_revocations (
            username text PRIMARY KEY, not_before bigint NOT NULL, revoked_at timestamp(6) NOT NULL);
        COMMENT ON TABLE authgate_user_revocations IS 'AuthGate revoke-user: tokens of username with iat < not_before (epoch seconds) are refused';
        CREATE TABLE IF NOT EXISTS authgate_refresh_families (
            family text PRIMARY KEY, username text NOT NULL,
            revoked_at timestamp(6) NOT NULL, expires_at timestamp(6) NOT NULL);
        COMMENT ON TABLE authgate_refresh_families IS 'AuthGate refresh rotation: families revoked on reuse, kept until their tokens expire';
        CREATE INDEX IF NOT EXISTS authgate_refresh_families_expires ON authgate_refresh_families (expires_at);
        CREATE TABLE IF NOT EXISTS authgate_username_keys (key text PRIMARY KEY, user_id text NOT NULL UNIQUE);
        COMMENT ON TABLE authgate_username_keys IS 'AuthGate caseless usernames: the NFKC_Casefold key of each user''s name';
        CREATE TABLE IF NOT EXISTS authgate_username_lookalikes (user_id text PRIMARY KEY);
        COMMENT ON TABLE authgate_username_lookalikes IS 'AuthGate caseless usernames: users whose key another user holds (left as they are)';
        """

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
            try Migration.run(
                attempts: Self.migrationAttempts, version: Self.schemaVersion, logger: logger,
                isCurrent: schemaIsCurrent, migrateOnce: { try migrateOnce() },
                lockBusy: { $0 is LockNotAvailable })
        } catch let busy as LockNotAvailable {
            throw StoreError.schema(
                "another transaction kept a lock on users or token_blocklist through \(Self.migrationAttempts) attempts; nothing was changed (\(busy))"
            )
        }
    }

    /// Whether the recorded version is this build's (or newer) and both
    /// triggers exist. Reads the catalogue and `authgate_schema` only.
    private func schemaIsCurrent() throws -> Bool {
        guard try db.exec(unsafeSQL: "SELECT to_regclass('authgate_schema') IS NOT NULL").first?.bool(at: 0) == true
        else { return false }
        // An empty table records no version: 0, never current.
        guard
            let version = try db.exec(unsafeSQL: "SELECT coalesce(max(version), 0) FROM authgate_schema").first?
                .int(at: 0), version >= Self.schemaVersion
        else { return false }
        if version > Self.schemaVersion {
            logger.notice(
                "database schema is newer than this build; leaving it as it is",
                metadata: ["recorded": "\(version)", "built_for": "\(Self.schemaVersion)"])
        }
        return try db.exec(unsafeSQL: ChangeListener.triggersSQL).count == ChangeListener.triggerCount
    }

    /// What `authgate migrate status` reports; reads only.
    func schemaStatus() throws -> SchemaStatus {
        var recorded = 0
        if try db.exec(unsafeSQL: "SELECT to_regclass('authgate_schema') IS NOT NULL").first?.bool(at: 0) == true {
            recorded =
                try db.exec(unsafeSQL: "SELECT coalesce(max(version), 0) FROM authgate_schema").first?
                .int(at: 0) ?? 0
        }
        return SchemaStatus(
            exists: true, recorded: recorded, built: Self.schemaVersion,
            isCurrent: try schemaIsCurrent())
    }

    /// The statements `migrate` would run now; empty when the schema is
    /// current. Worked out by reading the catalogue and `users` (the
    /// duplicate check) in a read-only transaction, never by running them:
    /// a dry run takes no lock beyond what a SELECT takes (ACCESS SHARE),
    /// rewrites nothing, and changes nothing. `migrate` runs exactly this
    /// list (`migrationPlan`), so the output is what it would do.
    func migrationDryRun() throws -> [String] {
        try db.exec(unsafeSQL: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            // A SELECT waits only behind an ACCESS EXCLUSIVE lock (another
            // migration): bounded, as every wait is.
            try db.exec(unsafeSQL: "SET LOCAL lock_timeout = '\(Self.lockTimeout)'")
            let plan = try schemaIsCurrent() ? [] : try migrationPlan()
            try db.exec(unsafeSQL: "ROLLBACK")
            return plan
        } catch {
            _ = try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }

    /// Columns the `CREATE TABLE users` of `migrationPlan` makes.
    static let createdUserColumns: Set<String> = ["id", "username", "email", "password", "created_at"]

    /// The statements that bring the database as it is now to this build's
    /// schema, found by reads only: a missing `users` table is created, a
    /// Flask one adopted (the nullable `created_at`, an ordering sequence,
    /// the unique indexes), then AuthGate's tables and the triggers.
    /// Duplicates that would break the unique indexes throw, naming them.
    private func migrationPlan() throws -> [String] {
        var plan: [String] = [
            """
            CREATE TABLE IF NOT EXISTS users (
                id text PRIMARY KEY, username text NOT NULL, email text NOT NULL,
                password text NOT NULL, created_at timestamp(6))
            """
        ]
        var columns = Self.createdUserColumns
        if try db.exec(unsafeSQL: "SELECT to_regclass('users') IS NOT NULL").first?.bool(at: 0) == true {
            let dupNames = try db.exec(
                unsafeSQL:
                    "SELECT username FROM users GROUP BY username HAVING count(*) > 1 ORDER BY 1 LIMIT 20")
            let dupEmails = try db.exec(
                unsafeSQL: """
                    SELECT lower(email COLLATE "C") FROM users GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 20
                    """)
            try Migration.refuseDuplicates(
                usernames: dupNames.map { try $0.string(at: 0) },
                emails: dupEmails.map { try $0.string(at: 0) })
            columns = Set(
                try db.exec(
                    unsafeSQL: """
                        SELECT column_name FROM information_schema.columns
                        WHERE table_schema = current_schema() AND table_name = 'users'
                        """
                ).map { try $0.string(at: 0) })
        }
        // No column default for created_at: it would stamp the adopted rows too.
        if !columns.contains("created_at") { plan.append("ALTER TABLE users ADD COLUMN created_at timestamp(6)") }
        // bigserial numbers existing rows in their stored order, new ones as inserted.
        if !columns.contains("seq") { plan.append("ALTER TABLE users ADD COLUMN seq bigserial") }
        plan.append(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);
            CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email COLLATE "C"));
            CREATE INDEX IF NOT EXISTS users_registration_order ON users (created_at ASC NULLS FIRST, seq);
            CREATE TABLE IF NOT EXISTS token_blocklist (
                jti text PRIMARY KEY, type text NOT NULL,
                created_at timestamp(6) NOT NULL, expires_at timestamp(6) NOT NULL);
            CREATE INDEX IF NOT EXISTS token_blocklist_expires ON token_blocklist (expires_at);
            """)
        plan.append(LoginFailuresSchema.postgresDDL)
        plan.append(Self.adminTablesSQL)
        plan.append(UserGroupsSchema.postgresDDL)
        // Created when missing, never dropped and re-created: DROP TRIGGER
        // would take ACCESS EXCLUSIVE on users.
        plan.append(ChangeListener.functionsSQL)
        plan.append(ChangeListener.adminFunctionsSQL)
        let present = Set(try db.exec(unsafeSQL: ChangeListener.triggersSQL).map { try $0.string(at: 0) })
        if !present.contains(ChangeListener.usersTrigger) { plan.append(ChangeListener.usersTriggerSQL) }
        if !present.contains(ChangeListener.revocationsTrigger) { plan.append(ChangeListener.revocationsTriggerSQL) }
        for (name, sql) in ChangeListener.adminTriggers where !present.contains(name) { plan.append(sql) }
        plan.append(
            """
            CREATE TABLE IF NOT EXISTS authgate_schema (version integer NOT NULL);
            COMMENT ON TABLE authgate_schema IS 'AuthGate schema version: start-up skips its migration when current';
            DELETE FROM authgate_schema;
            INSERT INTO authgate_schema (version) VALUES (\(Self.schemaVersion));
            """)
        return plan
    }

    /// One migration in one transaction: `migrationPlan`, worked out and
    /// run under the advisory lock, so two responders starting at once do
    /// it once. `executed`, for tests: told each statement as it runs.
    func migrateOnce(executed: ((String) -> Void)? = nil) throws {
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
            for statement in try migrationPlan() {
                executed?(statement)
                try db.exec(unsafeSQL: statement)
            }
            try db.exec(unsafeSQL: "COMMIT")
        } catch {
            _ = try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }
}
