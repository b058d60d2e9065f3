/// Where a database's schema stands against this build (`authgate migrate status`).
public struct SchemaStatus: Sendable, Equatable {
    /// False for a SQLite file that does not exist yet (nothing was created to look).
    public let exists: Bool
    /// The version the database records; 0 when it records none.
    public let recorded: Int
    /// The version this build creates.
    public let built: Int
    /// Whether `serve` would skip its migration: nothing to apply.
    public let isCurrent: Bool
}
