import AuthGateCore
import AuthGateStore

/// Why an admin command did not do what it was asked; the command line
/// prints the description and exits non-zero. Never carries a secret.
public enum AdminError: Error, Equatable, CustomStringConvertible {
    /// A field fails register's rules; the message names it.
    case invalid(String)
    case userExists(String)
    case emailExists(String)
    case noSuchUser(String)
    /// The user was deleted but recording the not-before failed (the reason follows).
    case deletedButNotRevoked(String, String)
    /// The password could not be read (empty input, not UTF-8, unreadable file).
    case password(String)
    /// Not a group name (`GroupName`).
    case invalidGroup(String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        case .userExists(let name): return "a user named \(name) already exists"
        case .emailExists(let email): return "the email \(email) is already registered"
        case .noSuchUser(let name): return "no user named \(name)"
        case .deletedButNotRevoked(let name, let reason):
            return
                "deleted user \(name), but its tokens are not revoked (\(reason)): run `authgate revoke-user --force \(name)`"
        case .password(let message): return message
        case .invalidGroup(let name):
            return "not a group name: \(name) (1 to \(GroupName.maxLength) characters of A-Z a-z 0-9 . _ -)"
        }
    }
}

extension AdminError {
    /// The refusal for what `create-user` found taken.
    init(_ conflict: RegistrationConflict, username: String, email: String) {
        switch conflict {
        case .username: self = .userExists(username)
        case .email: self = .emailExists(email)
        }
    }
}
