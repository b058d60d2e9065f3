import Glibc
import Glibc
import Logging

/// A user row as handlers see it. `passwordHash` never leaves the login path.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String
    public var passwordHash: String
}

/// The public part of a user, as lists and whoami show it.
public struct PublicUser: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String
}

/// Persistence for users and revoked tokens. Each worker thread owns one
/// store (one database connection); implementations are not shared.
/// Usernames are compared as UTF-8 bytes, e-mails ignoring ASCII case only.
public protocol UserStore: AnyObject {
    /// Cheap round trip for `/healthz`; throws `StoreError.unavailable`.
    func ping() throws
    /// Inserts a user; throws `StoreError.uniqueViolation` on a taken
    /// username or e-mail. `createdAt` is UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws
    func user(named username: String) throws -> UserRecord?
    func usernameExists(_ username: String) throws -> Bool
    func emailExists(_ email: String) throws -> Bool
    /// One page in registration order: adopted rows (no `created_at`)
    /// first, then by `created_at`, ties by insertion order.
    func usersPage(limit: Int, offset: Int) throws -> [PublicUser]
    func userCount() throws -> Int
    /// Records a revoked token that expires at `expiresAt`; times in
    /// seconds since the epoch.
    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws
    func isRevoked(jti: String) throws -> Bool
    /// Deletes revocations whose token expired before `cutoff`; returns how
    /// many. A token is accepted until exp + leeway, so callers pass
    /// now − leeway: a revocation must outlive every moment it could matter.
    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int
}

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
            // Flask-SQLAlchemy creates the instance folder the same way.
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                mkdir(String(path[..<slash]), 0o755)
            }
            try SQLiteUserStore(path: path, echo: false, logger: logger).migrate()
        }
    }
}
