/// What the audit log records, derived from a finished request's route,
/// method and status alone, so that no handler has to report anything:
///
/// | event | when |
/// |---|---|
/// | `register` | POST register answered 201 |
/// | `register.refused` | POST register answered another 4xx (taken, invalid, ...) |
/// | `login.success` | POST login, its second step (login/mfa) or a passkey sign-in (login/passkey/finish) answered 200 |
/// | `login.failure` | POST login answered another 4xx (wrong password, unknown user, bad body) |
/// | `login.mfa_required` | POST login answered 401: the password was right, a second factor is due |
/// | `login.failure` | POST login/mfa or login/passkey/finish answered a 4xx (a wrong or used code, passkey or ticket) |
/// | `logout` | logout answered 200 (a token was revoked) |
/// | `throttled` | any route answered 429, or 503 with `Retry-After` (the KDF queue is full) |
///
/// A 503 without `Retry-After` (the database is out of reach) and 5xx
/// answers are outages, not audit events: the request line records them.
package enum AuditEvent: String, Sendable {
    case register
    case registerRefused = "register.refused"
    case loginSuccess = "login.success"
    case loginFailure = "login.failure"
    case loginMFARequired = "login.mfa_required"
    case logout
    case throttled

    package init?(purpose: RouteLabel.Purpose, method: String, response: Response) {
        let status = response.status
        if status == 429 || (status == 503 && response.headers.contains { $0.name == "Retry-After" }) {
            self = .throttled
            return
        }
        let refused = (400..<500).contains(status)
        switch purpose {
        case .register where method == "POST":
            if status == 201 { self = .register } else if refused { self = .registerRefused } else { return nil }
        case .login where method == "POST":
            if status == 200 {
                self = .loginSuccess
            } else if status == 401 {
                self = .loginMFARequired
            } else if refused {
                self = .loginFailure
            } else {
                return nil
            }
        case .loginSecondStep where method == "POST":
            if status == 200 { self = .loginSuccess } else if refused { self = .loginFailure } else { return nil }
        case .logout where method != "OPTIONS" && status == 200:
            self = .logout
        default:
            return nil
        }
    }
}
