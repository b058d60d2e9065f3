/// Caseless usernames on SQLite (`UsernameKeyStore`).
extension SQLiteUserStore {
    func syncUsernameKeys() throws {
        try db.execute("DELETE FROM authgate_username_keys WHERE user_id NOT IN (SELECT id FROM users)", [])
        let missing = try db.execute(
            "SELECT id, username FROM users WHERE id NOT IN (SELECT user_id FROM authgate_username_keys) ORDER BY id", [])
        for row in missing {
            let id = try row.string(at: 0)
            try db.execute("INSERT OR IGNORE INTO authgate_username_keys (key, user_id) VALUES (?, ?)",
                           [try Self.key(of: try row.string(at: 1)), id])
        }
    }

    func usernameKeyTaken(_ key: String) throws -> Bool {
        try !db.execute("""
            SELECT 1 FROM authgate_username_keys k JOIN users u ON u.id = k.user_id WHERE k.key = ?
            """, [key]).isEmpty
    }

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String,
                    usernameKey: String) throws {
        // One write transaction: the sync, the user and its key, or nothing.
        try db.exec(unsafeSQL: "BEGIN IMMEDIATE")
        do {
            try syncUsernameKeys()
            try insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
            try db.execute("INSERT INTO authgate_username_keys (key, user_id) VALUES (?, ?)", [usernameKey, id])
            try db.exec(unsafeSQL: "COMMIT")
        } catch {
            try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }

    func allUsernames() throws -> [String] {
        try db.execute("SELECT username FROM users ORDER BY username", []).map { try $0.string(at: 0) }
    }
}
