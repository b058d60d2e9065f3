/// Where the users live, from `FLASK_SQLALCHEMY_DATABASE_URI`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A libpq connection URI (`postgresql://...`).
    case postgres(uri: String)
    /// A filesystem path to the SQLite database.
    case sqlite(path: String)

    /// Never prints the password of a PostgreSQL URI.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let uri):
            guard let at = uri.lastIndex(of: "@"), let scheme = uri.firstRange(of: "://") else { return "postgresql" }
            return String(uri[..<scheme.upperBound]) + "***" + String(uri[at...])
        }
    }
}
