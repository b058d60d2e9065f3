import Glibc
import Logging
import AuthGateCore

/// Opening and migrating the store a `DatabaseLocation` names.
extension DatabaseLocation {
    /// Opens a new store (one connection) for the calling thread.
    public func open(echo: Bool, logger: Logging.Logger) throws -> any UserStore {
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

    /// Where the schema stands, read only (a SQLite file is opened
    /// read-only and keeps its journal mode): a SQLite file that does not
    /// exist is reported so, not created.
    public func schemaStatus(logger: Logging.Logger) throws -> SchemaStatus {
        switch self {
        case .postgres(let uri): return try PostgresUserStore(uri: uri, echo: false, logger: logger).schema.status()
        case .sqlite(let path):
            guard access(path, F_OK) == 0 else {
                return SchemaStatus(exists: false, recorded: 0, built: SQLiteSchema.version, isCurrent: false)
            }
            return try SQLiteUserStore(path: path, echo: false, logger: logger, readOnly: true).schema.status()
        }
    }

    /// The statements `migrate` would run now (none when current), changing
    /// nothing and taking no write or exclusive lock (a SQLite file is
    /// opened read-only and keeps its journal mode). For a SQLite file that
    /// does not exist yet: those that would create it, found on an empty
    /// in-memory database.
    public func migrationDryRun(logger: Logging.Logger) throws -> [String] {
        switch self {
        case .postgres(let uri): return try PostgresUserStore(uri: uri, echo: false, logger: logger).schema.dryRun()
        case .sqlite(let path):
            let target = access(path, F_OK) == 0 ? path : ":memory:"
            return try SQLiteUserStore(path: target, echo: false, logger: logger, readOnly: true).schema.dryRun()
        }
    }

    /// A store for one admin command, on a schema this build can use:
    /// throws `StoreError.schema` naming the fix when it is not (a SQLite
    /// file that does not exist is not created).
    public func openMigrated(logger: Logging.Logger) throws -> any UserStore {
        let status = try schemaStatus(logger: logger)
        guard status.isCurrent else {
            throw StoreError.schema(
                status.exists
                    ? "the database schema is at version \(status.recorded), this build needs \(status.built): run `authgate migrate apply` (or start `authgate serve`) first"
                    : "no database at \(self): run `authgate migrate apply` (or start `authgate serve`) first")
        }
        return try open(echo: false, logger: logger)
    }
}
