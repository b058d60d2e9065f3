import AuthGateCore
/// Where a protected route finds its token, as Flask-JWT-Extended's
/// `JWT_TOKEN_LOCATION` says: the `Authorization: Bearer` header, or in
/// cookie mode the access (or refresh) cookie. With both locations on, a
/// request's Authorization header wins over its cookie. A cookie-borne
/// token on a method of `JWT_CSRF_METHODS` must come with the CSRF
/// double-submit value (header, or form field with `JWT_CSRF_CHECK_FORM`),
/// which the token's `csrf` claim must equal (docs/browser-sessions.md).
struct TokenSource {
    /// The token's bytes.
    let token: [UInt8]
    /// The CSRF value the request sent, when it must be checked; nil when
    /// the token came from a header or the method needs none.
    let csrf: [UInt8]?

    init(token: [UInt8], csrf: [UInt8]?) {
        self.token = token
        self.csrf = csrf
    }

    /// `kind` picks the cookie (nil, as logout: the access cookie, as
    /// Flask's `verify_type=False` reads it); `method` is the one whose CSRF
    /// rule applies (the request's own; for verify the original request's).
    init(_ request: Request, _ context: Context, kind: Claims.Kind?, method: String) throws(TokenError) {
        let cookies = context.config.cookies
        guard Self.readsCookie(request, cookies) else {
            token = try Authenticator.bearerToken(request)
            csrf = nil
            return
        }
        let refresh = kind == .refresh
        token = try TokenCookie.token(
            named: refresh ? cookies.refreshName : cookies.accessName,
            in: request.headers["cookie"])
        guard cookies.csrfProtect, cookies.csrfMethods.contains(method) else {
            csrf = nil
            return
        }
        var value = request.headers[(refresh ? cookies.refreshCSRFHeader : cookies.accessCSRFHeader).lowercased()]
        if value?.isEmpty ?? true, cookies.csrfCheckForm {
            value = FormBody(request).value(refresh ? cookies.refreshCSRFField : cookies.accessCSRFField)
        }
        guard let value, !value.isEmpty else { throw .csrfMissing }
        csrf = Array(value.utf8)
    }

    /// Whether the token is read from a cookie: cookie mode on, and no
    /// Bearer header where headers count. A Bearer header wins; another
    /// scheme (a browser resending Basic credentials for a site behind
    /// auth_basic) is no token, and the cookie is read instead, as
    /// Flask-JWT-Extended does.
    static func readsCookie(_ request: Request, _ cookies: JWTCookieSettings) -> Bool {
        cookies.enabled && !(cookies.headers && hasBearer(request))
    }

    /// Whether the Authorization header says `Bearer` (in any letter case).
    static func hasBearer(_ request: Request) -> Bool {
        guard let header = request.headers["authorization"] else { return false }
        let bytes = Array(header.utf8)
        guard let scheme = Authenticator.fields(bytes).first else { return false }
        return Authenticator.isBearer(bytes[scheme])
    }

    /// The double-submit check, in constant time: the value sent must be
    /// the token's `csrf` claim (a token without one never matches).
    static func check(_ sent: [UInt8], against claims: Claims) throws(TokenError) {
        guard let expected = claims.csrf, Crypto.constantTimeEqual(Array(expected.utf8), sent) else {
            throw .csrfMismatch
        }
    }
}
