import AuthGateCore

/// A 401 or 403 from `/auth/verify`: the refusal's own answer, plus its JSON body
/// once more as the `X-Auth-Error` header. nginx's `auth_request` keeps
/// only a subrequest's status (and `WWW-Authenticate`), never its body;
/// the recipe reads this header with `auth_request_set` and answers the
/// client with AuthGate's exact body.
package struct VerifyRefusal: HTTPError {
    package static let bodyHeader = "X-Auth-Error"
    package let refusal: any HTTPError
    /// For a browser's navigation in cookie mode: where the recipe sends
    /// it (the sign-in page, or the session-refresh bounce), as `Location`.
    package var location: String?

    package init(_ refusal: any HTTPError, location: String? = nil) {
        self.refusal = refusal
        self.location = location
    }

    package var httpStatus: Int { refusal.httpStatus }
    package var httpBody: [(String, JSONValue)] { refusal.httpBody }
    /// Every 401 and 403 body is one of the contract's fixed ASCII
    /// messages: no CR, LF or other byte a header value cannot hold.
    package var httpHeaders: [(name: String, value: String)] {
        refusal.httpHeaders + [(Self.bodyHeader, String(decoding: JSONWriter.object(refusal.httpBody), as: UTF8.self))]
            + (location.map { [("Location", $0)] } ?? [])
    }
    package var logEntry: ErrorLogEntry? { refusal.logEntry }
}
