import AuthGateCore

/// Login failures and hash replacement on PostgreSQL: parameterised,
/// prepared once per connection like the rest of the store.
extension PostgresUserStore {
    private enum LoginSQL {
        static let failures = PGStatement(
            name: "login_failures",
            sql: """
                SELECT failures, window_started_at FROM authgate_login_failures WHERE username = $1 AND address = $2
                """)
        // Adds one: a second run would count the failure twice.
        static let recordFailure = PGStatement(
            name: "login_failure_record",
            sql: """
                INSERT INTO authgate_login_failures AS f (username, address, failures, window_started_at)
                VALUES ($1, $2, 1, $3::double precision)
                ON CONFLICT (username, address) DO UPDATE SET
                    failures = CASE WHEN f.window_started_at <= $4::double precision THEN 1 ELSE f.failures + 1 END,
                    window_started_at = CASE WHEN f.window_started_at <= $4::double precision
                                             THEN excluded.window_started_at ELSE f.window_started_at END
                """, retry: .ifNeverSent)
        static let clearFailures = PGStatement(
            name: "login_failures_clear",
            sql:
                "DELETE FROM authgate_login_failures WHERE username = $1 AND address = $2")
        static let purgeFailures = PGStatement(
            name: "login_failures_purge",
            sql:
                "DELETE FROM authgate_login_failures WHERE window_started_at < $1::double precision RETURNING 1")
        // Compare-and-set: a second run finds the new hash and changes nothing.
        static let replaceHash = PGStatement(
            name: "password_replace",
            sql:
                "UPDATE users SET password = $3 WHERE id = $1 AND password = $2 RETURNING 1")
    }

    // Keys never hold NUL (LoginThrottleSettings.key) and addresses come
    // from nginx's C strings, so every value here is storable as text.

    func loginFailures(key: String, address: String) throws -> LoginFailures? {
        try db.execute(LoginSQL.failures, [key, address]).first.map {
            LoginFailures(failures: try $0.int(at: 0), windowStartedAt: try $0.double(at: 1))
        }
    }

    func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        try db.execute(LoginSQL.recordFailure, [key, address, String(now), String(windowCutoff)])
    }

    func clearLoginFailures(key: String, address: String) throws {
        try db.execute(LoginSQL.clearFailures, [key, address])
    }

    func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int {
        try db.execute(LoginSQL.purgeFailures, [String(cutoff)]).count
    }

    func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        guard !userID.utf8.contains(0), !oldHash.utf8.contains(0) else { return false }
        return try !db.execute(LoginSQL.replaceHash, [userID, oldHash, newHash]).isEmpty
    }
}
