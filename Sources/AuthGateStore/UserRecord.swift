import Glibc
import Glibc
import Logging
import AuthGateCore

/// A user row as handlers see it. `passwordHash` never leaves the login path.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String
    public var passwordHash: String
}
