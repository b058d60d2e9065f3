import AuthGateCore

/// A refused token: 401 with `WWW-Authenticate: Bearer` and
/// Flask-JWT-Extended's body (`message`, then `error`), never logged.
extension TokenError: HTTPError {
    package var httpStatus: Int { 401 }
    package var httpBody: [(String, JSONValue)] { [("message", .string(message)), ("error", .string(code))] }
    package var httpHeaders: [(name: String, value: String)] { [("WWW-Authenticate", "Bearer")] }
}
