/// `AUTHGATE_LOGOUT_SCOPE`: what a logout ends. `token`: the token
/// presented, as Flask-JWT-Extended's blocklist does. `session`: every
/// token of its login (access and refresh, the rotated ones included), by
/// revoking the login's family (docs/refresh-rotation.md). The default is
/// `session` with refresh rotation on, `token` otherwise.
public enum LogoutScope: String, Sendable, Equatable, CaseIterable {
    case token
    case session
}
