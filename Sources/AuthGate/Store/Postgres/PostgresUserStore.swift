import Logging

/// `UserStore` on PostgreSQL through libpq. Every statement is
/// parameterised and prepared once per connection.
final class PostgresUserStore: UserStore {
    private let db: PGConnection
    private let logger: Logger

    init(uri: String, echo: Bool, logger: Logger) {
        self.db = PGConnection(uri: uri, echo: echo, logger: logger)
        self.logger = logger
    }

    private enum SQL {
        static let ping = PGStatement(name: "ping", sql: "SELECT 1")
        static let insertUser = PGStatement(name: "insert_user", sql: """
            INSERT INTO users (id, username, email, password, created_at) VALUES ($1, $2, $3, $4, $5::timestamp)
            """)
        static let userByName = PGStatement(name: "user_by_name", sql:
            "SELECT id, username, email, password FROM users WHERE username = $1")
        static let usernameExists = PGStatement(name: "username_exists", sql:
            "SELECT 1 FROM users WHERE username = $1")
        static let emailExists = PGStatement(name: "email_exists", sql:
            "SELECT 1 FROM users WHERE lower(email COLLATE \"C\") = lower($1 COLLATE \"C\")")
        static let page = PGStatement(name: "users_page", sql: """
            SELECT id, username, email FROM users ORDER BY created_at ASC NULLS FIRST, seq ASC LIMIT $1::bigint OFFSET $2::bigint
            """)
        static let count = PGStatement(name: "users_count", sql: "SELECT count(*) FROM users")
        static let revoke = PGStatement(name: "revoke", sql: """
            INSERT INTO token_blocklist (jti, type, created_at, expires_at) VALUES ($1, $2, $3::timestamp, $4::timestamp)
            ON CONFLICT (jti) DO NOTHING
            """)
        static let isRevoked = PGStatement(name: "is_revoked", sql: "SELECT 1 FROM token_blocklist WHERE jti = $1")
        static let purge = PGStatement(name: "purge", sql:
            "DELETE FROM token_blocklist WHERE expires_at < $1::timestamp RETURNING 1")
    }

    func ping() throws { try db.execute(SQL.ping, []) }

    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        try db.execute(SQL.insertUser, [id, username, email, passwordHash, createdAt])
    }

    func user(named username: String) throws -> UserRecord? {
        // PostgreSQL text cannot hold NUL; such a name matches nobody.
        guard !username.utf8.contains(0) else { return nil }
        guard let row = try db.execute(SQL.userByName, [username]).first, row.count == 4,
              let id = row[0], let name = row[1], let email = row[2], let hash = row[3] else { return nil }
        return UserRecord(id: id, username: name, email: email, passwordHash: hash)
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
        try db.execute(SQL.page, [String(limit), String(offset)]).compactMap { row in
            guard row.count == 3, let id = row[0], let name = row[1], let email = row[2] else { return nil }
            return PublicUser(id: id, username: name, email: email)
        }
    }

    func userCount() throws -> Int {
        guard let text = try db.execute(SQL.count, []).first?.first ?? nil, let n = Int(text) else {
            throw StoreError.failed("count returned no number")
        }
        return n
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

    /// Creates the tables, or adopts a `users` table made by the Flask
    /// application: adds the nullable `created_at`, an ordering sequence and
    /// the unique indexes, in one transaction. Duplicates that would break
    /// the indexes abort it, naming them, with nothing changed.
    func migrate() throws {
        try db.exec(unsafeSQL: "BEGIN")
        do {
            // Several responders may start at once; one migrates at a time.
            try db.exec(unsafeSQL: "SELECT pg_advisory_xact_lock(7361746174)")
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
            try Migration.refuseDuplicates(usernames: dupNames.compactMap { $0.first ?? nil },
                                           emails: dupEmails.compactMap { $0.first ?? nil })
            let columns = Set(try db.exec(unsafeSQL: """
                SELECT column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = 'users'
                """).compactMap { $0.first ?? nil })
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
            try db.exec(unsafeSQL: ChangeListener.triggersSQL)
            try db.exec(unsafeSQL: "COMMIT")
        } catch {
            _ = try? db.exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }
}

enum Migration {
    static func refuseDuplicates(usernames: [String], emails: [String]) throws {
        guard usernames.isEmpty && emails.isEmpty else {
            var parts: [String] = []
            if !usernames.isEmpty { parts.append("duplicate usernames: " + usernames.joined(separator: ", ")) }
            if !emails.isEmpty { parts.append("duplicate emails (ignoring ASCII case): " + emails.joined(separator: ", ")) }
            throw StoreError.schema("the users table breaks uniqueness, nothing was changed; "
                                    + parts.joined(separator: "; "))
        }
    }
}
