import AuthGateCore
/// Login CSRF protection for the sign-in form: a random value in a
/// cookie of its own (HttpOnly, SameSite=Strict) and in a hidden field.
/// Another site can neither read the cookie nor make the browser send it
/// along with a cross-site post, so it cannot sign a victim in to the
/// attacker's account. The value is kept while the cookie lives, so
/// several tabs share it and each tab's form stays valid.
enum SignInFormToken {
    static let cookieName = "authgate_signin"
    static let field = "signin_token"
    static let bytes = 32

    /// The browser's current value, if it sent a well-formed one.
    static func current(_ request: Request) -> String? {
        guard let value = try? TokenCookie.token(named: cookieName, in: request.headers["cookie"]),
              value.count == bytes * 2, value.allSatisfy({ Hex.digits.contains($0) }) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    static func make() throws -> String { Hex.encode(try Crypto.randomBytes(bytes)) }

    /// The cookie that carries `value`, valid for every sign-in path.
    static func cookie(_ value: String, _ cookies: JWTCookieSettings) -> (name: String, value: String) {
        SetCookie(name: cookieName, value: value, path: "/", domain: nil, maxAge: nil, secure: cookies.secure,
                  httpOnly: true, sameSite: "Strict").header
    }

    /// Whether the form's field matches the cookie, in constant time, and
    /// the browser does not say the post came from another site.
    static func accepts(_ request: Request, form: FormBody) -> Bool {
        if request.headers["sec-fetch-site"]?.lowercased() == "cross-site" { return false }
        guard let cookie = current(request), let sent = form.value(field) else { return false }
        return Crypto.constantTimeEqual(Array(cookie.utf8), Array(sent.utf8))
    }
}
