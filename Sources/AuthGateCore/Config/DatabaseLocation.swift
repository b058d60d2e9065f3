/// Where the users live, from `FLASK_SQLALCHEMY_DATABASE_URI`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A libpq connection URI (`postgresql://...`).
    case postgres(uri: String)
    /// A filesystem path to the SQLite database.
    case sqlite(path: String)

    /// Never prints a password of a PostgreSQL URI: the user information
    /// is masked, and the query (which may hold `password=`) is left out.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let uri):
            let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let base = parts.first.map(String.init) ?? ""
            guard let scheme = base.firstRange(of: "://") else { return "postgresql" }
            let rest = base[scheme.upperBound...]
            let host = rest.lastIndex(of: "@").map { "***" + rest[$0...] } ?? String(rest)
            return String(base[..<scheme.upperBound]) + host + (parts.count > 1 ? "?***" : "")
        }
    }
}
