import AuthGateCore

/// The public part of a user, as lists and whoami show it.
public struct PublicUser: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String

    /// `package`: stores outside this module (the fuzz target's, in memory) make rows too.
    package init(id: String, username: String, email: String) {
        self.id = id
        self.username = username
        self.email = email
    }
}

extension PublicUser: RowDecodable {
    static let columns = "id, username, email"

    init(row: Row) throws(StoreError) {
        self.init(id: try row.string(at: 0), username: try row.string(at: 1), email: try row.string(at: 2))
    }
}
