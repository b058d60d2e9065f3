/// Caseless usernames on SQLite (`UsernameKeyStore`).
extension SQLiteUserStore {
    func syncUsernameKeys() throws {
        try db.inWriteTransaction { try syncUsernameKeysInTransaction() }
    }

    /// The sync's statements, in the caller's write transaction. Once a
    /// table is keyed, the scans find nothing to do: each user has a key,
    /// or is recorded as a look-alike of one that has.
    private func syncUsernameKeysInTransaction() throws {
        try db.execute("DELETE FROM authgate_username_keys WHERE user_id NOT IN (SELECT id FROM users)", [])
        try db.execute("DELETE FROM authgate_username_lookalikes WHERE user_id NOT IN (SELECT id FROM users)", [])
        let missing = try db.execute(
            """
            SELECT id, username FROM users WHERE id NOT IN (SELECT user_id FROM authgate_username_keys)
            AND id NOT IN (SELECT user_id FROM authgate_username_lookalikes) ORDER BY id
            """, [])
        for row in missing {
            let id = try row.string(at: 0)
            try db.execute(
                "INSERT OR IGNORE INTO authgate_username_keys (key, user_id) VALUES (?, ?)",
                [try Self.key(of: try row.string(at: 1)), id])
            if db.changes == 0 {
                try db.execute("INSERT OR IGNORE INTO authgate_username_lookalikes (user_id) VALUES (?)", [id])
            }
        }
    }

    func usernameKeyTaken(_ key: String) throws -> Bool {
        try !db.execute(
            """
            SELECT 1 FROM authgate_username_keys k JOIN users u ON u.id = k.user_id WHERE k.key = ?
            """, [key]
        ).isEmpty
    }

    func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String
    ) throws {
        // One write transaction: the sync, the user and its key, or nothing.
        try db.inWriteTransaction {
            try syncUsernameKeysInTransaction()
            try insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
            try db.execute("INSERT INTO authgate_username_keys (key, user_id) VALUES (?, ?)", [usernameKey, id])
        }
    }

    func allUsernames() throws -> [String] {
        try db.execute("SELECT username FROM users ORDER BY username", []).map { try $0.string(at: 0) }
    }
}
