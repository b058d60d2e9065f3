import AuthGateCore
/// Login CSRF protection for the sign-in form: a random value in a
/// cookie of its own (HttpOnly, SameSite=Strict) and in a hidden field.
/// Another site can neither read the cookie nor make the browser send it
/// along with a cross-site post, so it cannot sign a victim in to the
/// attacker's account. With Secure cookies it is a `__Host-` cookie, which
/// a sibling subdomain cannot set or shadow. The value is kept while the
/// cookie lives, so several tabs share it and each tab's form stays valid.
enum SignInFormToken {
    static let cookieName = "authgate_signin"
    static let field = "signin_token"
    static let bytes = 32

    /// `__Host-authgate_signin` when cookies are Secure (the prefix needs it).
    static func name(_ cookies: JWTCookieSettings) -> String {
        cookies.secure ? "__Host-" + cookieName : cookieName
    }

    /// The browser's current value, if it sent a well-formed one.
    static func current(_ request: Request, _ cookies: JWTCookieSettings) -> String? {
        guard let value = try? TokenCookie.token(named: name(cookies), in: request.headers["cookie"]),
            value.count == bytes * 2, value.allSatisfy({ Hex.digits.contains($0) })
        else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    static func make() throws -> String { Hex.encode(try Crypto.randomBytes(bytes)) }

    /// The cookie that carries `value`, valid for every sign-in path.
    static func cookie(_ value: String, _ cookies: JWTCookieSettings) -> (name: String, value: String) {
        SetCookie(
            name: name(cookies), value: value, path: "/", domain: nil, maxAge: nil, secure: cookies.secure,
            httpOnly: true, sameSite: "Strict"
        ).header
    }

    /// Whether the form's field matches the cookie, in constant time, and
    /// the browser says the post came from this very origin (or says
    /// nothing: `Sec-Fetch-Site` is missing in older browsers). A sibling
    /// subdomain (`same-site`) is another site here.
    static func accepts(_ request: Request, form: FormBody, _ cookies: JWTCookieSettings) -> Bool {
        if let site = request.headers["sec-fetch-site"]?.lowercased(), site != "same-origin", site != "none" {
            return false
        }
        guard let cookie = current(request, cookies), let sent = form.value(field) else { return false }
        return Crypto.constantTimeEqual(Array(cookie.utf8), Array(sent.utf8))
    }
}
