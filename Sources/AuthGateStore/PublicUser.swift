import Glibc
import Glibc
import Logging
import AuthGateCore

/// The public part of a user, as lists and whoami show it.
public struct PublicUser: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String
}
