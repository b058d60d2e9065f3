import Glibc
import Logging
import AuthGateCore

/// AuthGate's schema on PostgreSQL: every table, index, NOTIFY function
/// and trigger it creates, the migration that creates or adopts them
/// (`migrate`, `dryRun`), and where a database stands against them
/// (`status`). Queries live elsewhere: `PostgresUserStore` and
/// `ChangeListener` only read and write rows.
struct PostgresSchema {
    let db: PGConnection
    let logger: Logger

    // The NOTIFY channels the triggers send on and `ChangeListener` LISTENs
    // to, and the triggers' names.
    static let usersChannel = "authgate_users"
    static let revocationsChannel = "authgate_revocations"
    static let usersTrigger = "authgate_users_changed"
    static let revocationsTrigger = "authgate_revocation_added"
    static let userRevocationsChannel = "authgate_user_revocations"
    static let familiesChannel = "authgate_refresh_families"
    static let userRevocationsTrigger = "authgate_user_revocations_changed"
    static let familiesTrigger = "authgate_refresh_family_revoked"
    static let groupsChannel = "authgate_user_groups"
    static let groupsTrigger = "authgate_user_groups_changed"
    /// Every trigger the cache needs: all must fire for it to be on.
    static let triggerCount = 5

    /// The layout `migrate` creates, recorded in `authgate_schema`. Bump it
    /// when the DDL below changes.
    /// 2: authgate_login_failures; 3: authgate_user_revocations,
    /// authgate_refresh_families; 4: authgate_username_keys,
    /// authgate_username_lookalikes; 5: authgate_user_groups; 6: authgate_mfa_totp,
    /// authgate_mfa_recovery, authgate_mfa_webauthn.
    static let version = 6
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

    /// The login throttle's table (`LoginFailureStore`).
    static let loginFailuresSQL = """
        CREATE TABLE IF NOT EXISTS authgate_login_failures (
            username text NOT NULL, address text NOT NULL, failures integer NOT NULL,
            window_started_at double precision NOT NULL, PRIMARY KEY (username, address));
        COMMENT ON TABLE authgate_login_failures IS 'AuthGate login throttle: failed logins per username and client address';
        CREATE INDEX IF NOT EXISTS authgate_login_failures_window ON authgate_login_failures (window_started_at);
        """
    /// The groups of each user (schema version 5). The primary key
    /// (user_id, group_name) is also the index of the one read on the
    /// request path: a user's groups.
    static let userGroupsSQL = """
        CREATE TABLE IF NOT EXISTS authgate_user_groups (
            user_id text NOT NULL, group_name text NOT NULL, PRIMARY KEY (user_id, group_name));
        COMMENT ON TABLE authgate_user_groups IS 'AuthGate groups: the groups of each user, by users.id';
        """

    /// Second factors (schema version 6, `MFAStore`): one TOTP secret per
    /// user, sealed by AuthGate; recovery codes as keyed digests.
    static let mfaSQL = """
        CREATE TABLE IF NOT EXISTS authgate_mfa_totp (
            user_id text PRIMARY KEY, secret text NOT NULL, created_at timestamp(6) NOT NULL,
            confirmed_at timestamp(6), last_step bigint NOT NULL DEFAULT -1);
        COMMENT ON TABLE authgate_mfa_totp IS 'AuthGate second factors: each user''s TOTP secret (sealed), confirmed or waiting, and the last step used';
        CREATE TABLE IF NOT EXISTS authgate_mfa_recovery (
            user_id text NOT NULL, code_digest text NOT NULL, used_at timestamp(6),
            PRIMARY KEY (user_id, code_digest));
        COMMENT ON TABLE authgate_mfa_recovery IS 'AuthGate second factors: recovery codes (keyed digests), each usable once';
        CREATE TABLE IF NOT EXISTS authgate_mfa_webauthn (
            credential_id text PRIMARY KEY, user_id text NOT NULL, public_key text NOT NULL,
            algorithm integer NOT NULL, sign_count bigint NOT NULL, created_at timestamp(6) NOT NULL);
        COMMENT ON TABLE authgate_mfa_webauthn IS 'AuthGate second factors: passkeys (WebAuthn public keys) and their sign counters';
        CREATE INDEX IF NOT EXISTS authgate_mfa_webauthn_user ON authgate_mfa_webauthn (user_id);
        """

    /// Functions created by the migration: one notification per statement
    /// that changes users, one per revoked token ("jti expires-epoch").
    static let functionsSQL = """
        CREATE OR REPLACE FUNCTION authgate_notify_users() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('\(usersChannel)', ''); RETURN NULL; END $$;
        CREATE OR REPLACE FUNCTION authgate_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(revocationsChannel)', NEW.jti || ' ' || extract(epoch FROM NEW.expires_at)::text);
            RETURN NULL;
        END $$;
        """
    /// Per-user not-befores change rarely and the table is small: any
    /// change tells the listener to read it again whole (so DELETE, an
    /// operator's undo, is seen too). A revoked family: "family expires-epoch".
    /// Any membership change: an empty payload, every cached group dropped.
    static let adminFunctionsSQL = """
        CREATE OR REPLACE FUNCTION authgate_notify_user_revocations() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('\(userRevocationsChannel)', ''); RETURN NULL; END $$;
        CREATE OR REPLACE FUNCTION authgate_notify_family_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(familiesChannel)', NEW.family || ' ' || extract(epoch FROM NEW.expires_at)::text);
            RETURN NULL;
        END $$;
        CREATE OR REPLACE FUNCTION authgate_notify_user_groups() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('\(groupsChannel)', ''); RETURN NULL; END $$;
        """
    /// (name, statement) of the triggers `adminFunctionsSQL` serves.
    static let adminTriggers = [
        (
            userRevocationsTrigger,
            """
            CREATE TRIGGER \(userRevocationsTrigger)
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authgate_user_revocations
                FOR EACH STATEMENT EXECUTE FUNCTION authgate_notify_user_revocations()
            """
        ),
        (
            familiesTrigger,
            """
            CREATE TRIGGER \(familiesTrigger) AFTER INSERT OR UPDATE ON authgate_refresh_families
                FOR EACH ROW EXECUTE FUNCTION authgate_notify_family_revocation()
            """
        ),
        (
            groupsTrigger,
            """
            CREATE TRIGGER \(groupsTrigger)
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authgate_user_groups
                FOR EACH STATEMENT EXECUTE FUNCTION authgate_notify_user_groups()
            """
        )
    ]
    static let usersTriggerSQL = """
        CREATE TRIGGER \(usersTrigger) AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
            FOR EACH STATEMENT EXECUTE FUNCTION authgate_notify_users()
        """
    static let revocationsTriggerSQL = """
        CREATE TRIGGER \(revocationsTrigger) AFTER INSERT ON token_blocklist
            FOR EACH ROW EXECUTE FUNCTION authgate_notify_revocation()
        """

    /// Names of AuthGate's triggers present on the tables they belong to,
    /// with whether each fires ('D' is disabled). Catalogue reads only: no
    /// lock on the tables.
    static let triggersSQL = """
        SELECT tgname, tgenabled <> 'D' FROM pg_trigger WHERE NOT tgisinternal AND (
            (tgname = '\(usersTrigger)' AND tgrelid = to_regclass('users'))
            OR (tgname = '\(revocationsTrigger)' AND tgrelid = to_regclass('token_blocklist'))
            OR (tgname = '\(userRevocationsTrigger)' AND tgrelid = to_regclass('authgate_user_revocations'))
            OR (tgname = '\(familiesTrigger)' AND tgrelid = to_regclass('authgate_refresh_families'))
            OR (tgname = '\(groupsTrigger)' AND tgrelid = to_regclass('authgate_user_groups')))
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
                attempts: Self.migrationAttempts, version: Self.version, logger: logger,
                isCurrent: isCurrent, migrateOnce: { try migrateOnce() },
                lockBusy: { $0 is LockNotAvailable })
        } catch let busy as LockNotAvailable {
            throw StoreError.schema(
                "another transaction kept a lock on users or token_blocklist through \(Self.migrationAttempts) attempts; nothing was changed (\(busy))"
            )
        }
    }

    /// Whether the recorded version is this build's (or newer) and both
    /// triggers exist. Reads the catalogue and `authgate_schema` only.
    private func isCurrent() throws -> Bool {
        guard try db.exec(unsafeSQL: "SELECT to_regclass('authgate_schema') IS NOT NULL").first?.bool(at: 0) == true
        else { return false }
        // An empty table records no version: 0, never current.
        guard
            let version = try db.exec(unsafeSQL: "SELECT coalesce(max(version), 0) FROM authgate_schema").first?
                .int(at: 0), version >= Self.version
        else { return false }
        if version > Self.version {
            logger.notice(
                "database schema is newer than this build; leaving it as it is",
                metadata: ["recorded": "\(version)", "built_for": "\(Self.version)"])
        }
        return try db.exec(unsafeSQL: Self.triggersSQL).count == Self.triggerCount
    }

    /// What `authgate migrate status` reports; reads only.
    func status() throws -> SchemaStatus {
        var recorded = 0
        if try db.exec(unsafeSQL: "SELECT to_regclass('authgate_schema') IS NOT NULL").first?.bool(at: 0) == true {
            recorded =
                try db.exec(unsafeSQL: "SELECT coalesce(max(version), 0) FROM authgate_schema").first?
                .int(at: 0) ?? 0
        }
        return SchemaStatus(
            exists: true, recorded: recorded, built: Self.version,
            isCurrent: try isCurrent())
    }

    /// The statements `migrate` would run now; empty when the schema is
    /// current. Worked out by reading the catalogue and `users` (the
    /// duplicate check) in a read-only transaction, never by running them:
    /// a dry run takes no lock beyond what a SELECT takes (ACCESS SHARE),
    /// rewrites nothing, and changes nothing. `migrate` runs exactly this
    /// list (`migrationPlan`), so the output is what it would do.
    func dryRun() throws -> [String] {
        try db.exec(unsafeSQL: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            // A SELECT waits only behind an ACCESS EXCLUSIVE lock (another
            // migration): bounded, as every wait is.
            try db.exec(unsafeSQL: "SET LOCAL lock_timeout = '\(Self.lockTimeout)'")
            let plan = try isCurrent() ? [] : try migrationPlan()
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
        plan.append(Self.loginFailuresSQL)
        plan.append(Self.adminTablesSQL)
        plan.append(Self.userGroupsSQL)
        plan.append(Self.mfaSQL)
        // Created when missing, never dropped and re-created: DROP TRIGGER
        // would take ACCESS EXCLUSIVE on users.
        plan.append(Self.functionsSQL)
        plan.append(Self.adminFunctionsSQL)
        let present = Set(try db.exec(unsafeSQL: Self.triggersSQL).map { try $0.string(at: 0) })
        if !present.contains(Self.usersTrigger) { plan.append(Self.usersTriggerSQL) }
        if !present.contains(Self.revocationsTrigger) { plan.append(Self.revocationsTriggerSQL) }
        for (name, sql) in Self.adminTriggers where !present.contains(name) { plan.append(sql) }
        plan.append(
            """
            CREATE TABLE IF NOT EXISTS authgate_schema (version integer NOT NULL);
            COMMENT ON TABLE authgate_schema IS 'AuthGate schema version: start-up skips its migration when current';
            DELETE FROM authgate_schema;
            INSERT INTO authgate_schema (version) VALUES (\(Self.version));
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
            if try isCurrent() {  // another responder just did it
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
