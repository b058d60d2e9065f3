/// Why a bearer token was refused; each case is one row of the contract's
/// token error table (all 401 with `WWW-Authenticate: Bearer`).
public enum TokenError: Error, Equatable, CustomStringConvertible {
    case authorizationHeader
    case invalidToken
    case expired
    case accessRequired
    case refreshRequired
    case revoked
    case userNotFound
    /// A cookie-authenticated request whose method needs the CSRF
    /// double-submit value (`JWT_CSRF_METHODS`) sent none.
    case csrfMissing
    /// It sent one that is not the token's `csrf` claim.
    case csrfMismatch

    public var code: String {
        switch self {
        case .authorizationHeader: return "authorization_header"
        case .invalidToken: return "invalid_token"
        case .expired: return "token_expired"
        case .accessRequired, .refreshRequired: return "wrong_token_type"
        case .revoked: return "token_revoked"
        case .userNotFound: return "user_not_found"
        case .csrfMissing: return "csrf_missing"
        case .csrfMismatch: return "csrf_mismatch"
        }
    }

    public var message: String {
        switch self {
        case .authorizationHeader: return "Request doesn't contain valid token"
        case .invalidToken: return "Signature verification failed"
        case .expired: return "Token has expired"
        case .accessRequired: return "Only access tokens are allowed"
        case .refreshRequired: return "Only refresh tokens are allowed"
        case .revoked: return "Token has been revoked"
        case .userNotFound: return "User not found"
        case .csrfMissing: return "Missing CSRF token"
        case .csrfMismatch: return "CSRF double submit tokens do not match"
        }
    }

    public var description: String { code }
}
