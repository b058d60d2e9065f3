/// Failures of the user store, captured at the C boundary. Descriptions
/// carry the database's message and SQLSTATE, never statement arguments.
public enum StoreError: Error, CustomStringConvertible {
    /// The database cannot be reached now (503); a later request reconnects.
    case unavailable(String)
    /// A unique index refused a row (PostgreSQL 23505, SQLite 2067).
    case uniqueViolation(constraint: String)
    /// The schema cannot be adopted as it is (start-up only).
    case schema(String)
    /// Any other database failure (500).
    case failed(String)

    public var description: String {
        switch self {
        case .unavailable(let m): return "database unavailable: \(m)"
        case .uniqueViolation(let c): return "unique violation on \(c)"
        case .schema(let m): return "schema: \(m)"
        case .failed(let m): return "database error: \(m)"
        }
    }
}
