import AuthGateCore
/// The cookies of cookie mode, as Flask-JWT-Extended's
/// `set_access_cookies`, `set_refresh_cookies` and `unset_jwt_cookies`
/// write them: the token cookies HttpOnly, the CSRF cookies readable by
/// scripts (they hold the double-submit value), all with the configured
/// path, domain, Secure and SameSite.
enum SessionCookies {
    static func set(access: IssuedToken?, refresh: IssuedToken?, _ c: JWTCookieSettings) -> [(name: String, value: String)] {
        var out: [SetCookie] = []
        if let access {
            out.append(cookie(c.accessName, access.text, path: c.accessPath, httpOnly: true, c))
            if let csrf = access.csrf, c.csrfProtect, c.csrfInCookies {
                out.append(cookie(c.accessCSRFName, csrf, path: c.accessCSRFPath, httpOnly: false, c))
            }
        }
        if let refresh {
            out.append(cookie(c.refreshName, refresh.text, path: c.refreshPath, httpOnly: true, c))
            if let csrf = refresh.csrf, c.csrfProtect, c.csrfInCookies {
                out.append(cookie(c.refreshCSRFName, csrf, path: c.refreshCSRFPath, httpOnly: false, c))
            }
        }
        return out.map(\.header)
    }

    /// Every cookie `set` may have written, deleted with the same path,
    /// domain and SameSite (a browser keeps a cookie whose deletion names
    /// another path or domain).
    static func clear(_ c: JWTCookieSettings) -> [(name: String, value: String)] {
        var out = [cookie(c.accessName, "", path: c.accessPath, httpOnly: true, c, expired: true),
                   cookie(c.refreshName, "", path: c.refreshPath, httpOnly: true, c, expired: true)]
        if c.csrfProtect, c.csrfInCookies {
            out.append(cookie(c.accessCSRFName, "", path: c.accessCSRFPath, httpOnly: false, c, expired: true))
            out.append(cookie(c.refreshCSRFName, "", path: c.refreshCSRFPath, httpOnly: false, c, expired: true))
        }
        return out.map(\.header)
    }

    private static func cookie(_ name: String, _ value: String, path: String, httpOnly: Bool,
                               _ c: JWTCookieSettings, expired: Bool = false) -> SetCookie {
        SetCookie(name: name, value: value, path: path, domain: c.domain, maxAge: c.maxAge, secure: c.secure,
                  httpOnly: httpOnly, sameSite: c.sameSite, expired: expired)
    }
}
