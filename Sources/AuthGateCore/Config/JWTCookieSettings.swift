/// Flask-JWT-Extended's cookie mode, read from the same `FLASK_JWT_*`
/// settings with the same defaults (its `jwt_manager.py`
/// `_set_default_configuration_options`), so a Flask application and
/// AuthGate set and accept each other's cookies (docs/browser-sessions.md).
public struct JWTCookieSettings: Sendable, Equatable {
    /// `JWT_TOKEN_LOCATION` contains "cookies"; with "headers" too both are
    /// read, and a request's Authorization header wins over its cookie.
    public var enabled = false
    /// `JWT_TOKEN_LOCATION` contains "headers" (its default is headers only).
    public var headers = true
    public var accessName = "access_token_cookie"
    public var refreshName = "refresh_token_cookie"
    public var accessPath = "/"
    public var refreshPath = "/"
    public var secure = false
    /// nil: a host-only cookie (no Domain attribute).
    public var domain: String? = nil
    /// `Strict`, `Lax` or `None`; nil: no SameSite attribute (browsers then treat it as Lax).
    public var sameSite: String? = nil
    /// True: cookies last as long as the browser session (no Max-Age);
    /// false: Max-Age one year, as Flask-JWT-Extended.
    public var sessionCookie = true
    public var csrfProtect = true
    public var csrfInCookies = true
    public var accessCSRFName = "csrf_access_token"
    public var refreshCSRFName = "csrf_refresh_token"
    public var accessCSRFPath = "/"
    public var refreshCSRFPath = "/"
    /// Header names, compared ignoring case as HTTP does.
    public var accessCSRFHeader = "X-CSRF-TOKEN"
    public var refreshCSRFHeader = "X-CSRF-TOKEN"
    /// `JWT_CSRF_CHECK_FORM`: a form field may carry the value instead of the header.
    public var csrfCheckForm = false
    public var accessCSRFField = "csrf_token"
    public var refreshCSRFField = "csrf_token"
    /// Methods whose cookie-authenticated requests must prove the CSRF value.
    public var csrfMethods: [String] = ["POST", "PUT", "PATCH", "DELETE"]

    /// `max_age` of Flask-JWT-Extended's `cookie_max_age`: one year, unless a session cookie.
    public var maxAge: Int? { sessionCookie ? nil : 31_540_000 }

    /// Whether tokens carry a `csrf` claim: only in cookie mode, so tokens
    /// stay exactly as today with headers only.
    public var tokensCarryCSRF: Bool { enabled && csrfProtect }

    public init() {}
}
