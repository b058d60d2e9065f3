import AuthGateCore

/// A valid token whose user is in none of the groups the nginx location
/// allows (`/auth/verify?allowed_groups=a,b`): 403, the user is known but
/// may not pass, so signing in again would not help (no
/// `WWW-Authenticate`). Never logged: the request line records it.
package struct NotInAllowedGroup: HTTPError, Equatable {
    package init() {}

    package var httpStatus: Int { 403 }
    package var httpBody: [(String, JSONValue)] {
        [("message", .string("User is not in an allowed group")), ("error", .string("forbidden"))]
    }
}
