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
        // One write transaction: the user, its memberships and second factors, or nothing.
        try db.inWriteTransaction {
            for table in [
                "authgate_user_groups", "authgate_mfa_totp", "authgate_mfa_recovery", "authgate_mfa_webauthn"
            ] {
                try db.execute(
                    "DELETE FROM \(table) WHERE user_id IN (SELECT id FROM users WHERE username = ?)", [username])
            }
            try db.execute("DELETE FROM users WHERE username = ?", [username])
            return db.changes > 0
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

    /// The schema's DDL and migration, on this store's connection.
    var schema: SQLiteSchema { SQLiteSchema(db: db, logger: logger) }

    /// Creates or adopts the schema (`SQLiteSchema.migrate`).
    func migrate() throws { try schema.migrate() }
}
