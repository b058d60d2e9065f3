import AuthGateCore

/// The token-error bodies of the contract (API.md, "Token errors"), written
/// out here rather than read from `TokenError`, so a wrong message fails.
package enum TokenBodies {
    package static let missing = strings([
        "message": "Request doesn't contain valid token", "error": "authorization_header"
    ])
    package static let invalid = strings(["message": "Signature verification failed", "error": "invalid_token"])
    package static let expired = strings(["message": "Token has expired", "error": "token_expired"])
    package static let accessOnly = strings(["message": "Only access tokens are allowed", "error": "wrong_token_type"])
    package static let refreshOnly = strings(["message": "Only refresh tokens are allowed", "error": "wrong_token_type"]
    )
    package static let revoked = strings(["message": "Token has been revoked", "error": "token_revoked"])
    package static let userNotFound = strings(["message": "User not found", "error": "user_not_found"])
}
