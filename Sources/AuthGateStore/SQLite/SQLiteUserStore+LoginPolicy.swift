import AuthGateCore

/// Login failures and hash replacement on SQLite (3.24+ for the upsert).
extension SQLiteUserStore {
    func loginFailures(key: String, address: String) throws -> LoginFailures? {
        try db.execute(
            "SELECT failures, window_started_at FROM authgate_login_failures WHERE username = ? AND address = ?",
            [key, address]
        ).first.map {
            LoginFailures(failures: try $0.int(at: 0), windowStartedAt: try $0.double(at: 1))
        }
    }

    func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        try db.execute(
            """
            INSERT INTO authgate_login_failures (username, address, failures, window_started_at)
            VALUES (?1, ?2, 1, CAST(?3 AS REAL))
            ON CONFLICT (username, address) DO UPDATE SET
                failures = CASE WHEN window_started_at <= CAST(?4 AS REAL) THEN 1 ELSE failures + 1 END,
                window_started_at = CASE WHEN window_started_at <= CAST(?4 AS REAL)
                                         THEN excluded.window_started_at ELSE window_started_at END
            """, [key, address, String(now), String(windowCutoff)])
    }

    func clearLoginFailures(key: String, address: String) throws {
        try db.execute("DELETE FROM authgate_login_failures WHERE username = ? AND address = ?", [key, address])
    }

    func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int {
        try db.execute(
            "DELETE FROM authgate_login_failures WHERE window_started_at < CAST(? AS REAL)", [String(cutoff)])
        return db.changes
    }

    func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        try db.execute("UPDATE users SET password = ? WHERE id = ? AND password = ?", [newHash, userID, oldHash])
        return db.changes > 0
    }
}
