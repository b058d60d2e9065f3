/// Caseless usernames on PostgreSQL (`UsernameKeyStore`). The sync is
/// idempotent, so safe to retry; the user and its key go in one statement,
/// which the key's primary key settles against any concurrent one.
extension PostgresUserStore {
    private enum KeySQL {
        static let forgetDeleted = PGStatement(
            name: "username_keys_forget",
            sql: """
                DELETE FROM authgate_username_keys k WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = k.user_id)
                """)
        static let forgetDeletedLookalikes = PGStatement(
            name: "username_lookalikes_forget",
            sql: """
                DELETE FROM authgate_username_lookalikes l WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id)
                """)
        // Once a table is keyed this finds nothing: each user has a key, or
        // is recorded as a look-alike of one that has.
        static let missing = PGStatement(
            name: "username_keys_missing",
            sql: """
                SELECT id, username FROM users u
                WHERE NOT EXISTS (SELECT 1 FROM authgate_username_keys k WHERE k.user_id = u.id)
                AND NOT EXISTS (SELECT 1 FROM authgate_username_lookalikes l WHERE l.user_id = u.id) ORDER BY id
                """)
        // The key, or when another user holds it, the look-alike record.
        static let record = PGStatement(
            name: "username_keys_record",
            sql: """
                WITH key AS (INSERT INTO authgate_username_keys (key, user_id) VALUES ($1, $2)
                             ON CONFLICT DO NOTHING RETURNING 1)
                INSERT INTO authgate_username_lookalikes (user_id) SELECT $2 WHERE NOT EXISTS (SELECT 1 FROM key)
                ON CONFLICT DO NOTHING
                """)
        static let taken = PGStatement(
            name: "username_keys_taken",
            sql: """
                SELECT 1 FROM authgate_username_keys k JOIN users u ON u.id = k.user_id WHERE k.key = $1
                """)
        // A data-modifying CTE: both rows or neither, in one statement.
        static let insertUserAndKey = PGStatement(
            name: "insert_user_and_key",
            sql: """
                WITH key AS (INSERT INTO authgate_username_keys (key, user_id) VALUES ($6, $1))
                INSERT INTO users (id, username, email, password, created_at) VALUES ($1, $2, $3, $4, $5::timestamp)
                """, retry: .ifNeverSent)
        static let usernames = PGStatement(name: "usernames_all", sql: "SELECT username FROM users ORDER BY username")
    }

    func syncUsernameKeys() throws {
        try db.execute(KeySQL.forgetDeleted, [])
        try db.execute(KeySQL.forgetDeletedLookalikes, [])
        for row in try db.execute(KeySQL.missing, []) {
            let id = try row.string(at: 0)
            try db.execute(KeySQL.record, [try Self.key(of: try row.string(at: 1)), id])
        }
    }

    func usernameKeyTaken(_ key: String) throws -> Bool {
        guard !key.utf8.contains(0) else { return false }
        return try !db.execute(KeySQL.taken, [key]).isEmpty
    }

    func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String
    ) throws {
        try syncUsernameKeys()
        try db.execute(KeySQL.insertUserAndKey, [id, username, email, passwordHash, createdAt, usernameKey])
    }

    func allUsernames() throws -> [String] {
        try db.execute(KeySQL.usernames, []).map { try $0.string(at: 0) }
    }
}
