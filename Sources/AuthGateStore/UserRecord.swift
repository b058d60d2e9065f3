import AuthGateCore

/// A user row as handlers see it. `passwordHash` never leaves the login path.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String
    public var passwordHash: String

    /// `package`: stores outside this module (the fuzz target's, in memory) make rows too.
    package init(id: String, username: String, email: String, passwordHash: String) {
        self.id = id
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
    }
}

extension UserRecord: RowDecodable {
    static let columns = "id, username, email, password"

    init(row: Row) throws(StoreError) {
        self.init(
            id: try row.string(at: 0), username: try row.string(at: 1), email: try row.string(at: 2),
            passwordHash: try row.string(at: 3))
    }
}
