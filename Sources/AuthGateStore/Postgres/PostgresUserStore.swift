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
                     memberships AS (DELETE FROM authgate_user_groups WHERE user_id IN (SELECT id FROM gone)),
                     totp AS (DELETE FROM authgate_mfa_totp WHERE user_id IN (SELECT id FROM gone)),
                     recovery AS (DELETE FROM authgate_mfa_recovery WHERE user_id IN (SELECT id FROM gone)),
                     passkeys AS (DELETE FROM authgate_mfa_webauthn WHERE user_id IN (SELECT id FROM gone))
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

    /// The schema's DDL and migration, on this store's connection.
    var schema: PostgresSchema { PostgresSchema(db: db, logger: logger) }

    /// Creates or adopts the schema (`PostgresSchema.migrate`).
    func migrate() throws { try schema.migrate() }
}
