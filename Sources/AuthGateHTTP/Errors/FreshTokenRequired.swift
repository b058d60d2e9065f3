import AuthGateCore

/// A valid token that is not fresh enough for the nginx location asking
/// (`/auth/verify?fresh=1` or `?max_age=N`): 401 with `WWW-Authenticate:
/// Bearer` and the body of contract v1.2, never logged.
package struct FreshTokenRequired: HTTPError, Equatable {
    package init() {}

    package var httpStatus: Int { 401 }
    package var httpBody: [(String, JSONValue)] {
        [("message", .string("Fresh token required")), ("error", .string("fresh_token_required"))]
    }
    package var httpHeaders: [(name: String, value: String)] { [("WWW-Authenticate", "Bearer")] }
}
