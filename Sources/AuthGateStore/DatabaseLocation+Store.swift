import Glibc
import Logging
import AuthGateCore

/// Opening and migrating the store a `DatabaseLocation` names.
extension DatabaseLocation {
    /// Opens a new store (one connection) for the calling thread.
    public func open(echo: Bool, logger: Logging.Logger) throws -> UserStore {
        switch self {
        case .postgres(let uri): return PostgresUserStore(uri: uri, echo: echo, logger: logger)
        case .sqlite(let path): return try SQLiteUserStore(path: path, echo: echo, logger: logger)
        }
    }

    /// Creates or adopts the schema; run once at start-up before workers.
    public func migrate(logger: Logging.Logger) throws {
        switch self {
        case .postgres(let uri): try PostgresUserStore(uri: uri, echo: false, logger: logger).migrate()
        case .sqlite(let path):
            // Flask-SQLAlchemy creates the instance folder too; this one
            // holds password hashes, so only its owner may enter it.
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                mkdir(String(path[..<slash]), 0o700)
            }
            let created = access(path, F_OK) != 0
            try SQLiteUserStore(path: path, echo: false, logger: logger).migrate()
            // A file this process made is its owner's alone (SQLite gives
            // its -wal and -shm files the same mode); an existing one keeps its mode.
            if created { chmod(path, 0o600) }
        }
    }
}
