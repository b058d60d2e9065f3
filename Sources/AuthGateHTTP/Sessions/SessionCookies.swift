import AuthGateCore
/// The cookies of cookie mode, as Flask-JWT-Extended's
/// `set_access_cookies`, `set_refresh_cookies` and `unset_jwt_cookies`
/// write them: the token cookies HttpOnly, the CSRF cookies readable by
/// scripts (they hold the double-submit value), all with the configured
/// path, domain, Secure and SameSite.
enum SessionCookies {
    static func set(access: IssuedToken?, refresh: IssuedToken?, _ c: JWTCookieSettings) -> [(
        name: String, value: String
    )] {
        // With a Domain, host-only copies left from before it was set would
        // be sent beside the new ones, and two cookies of a name are
        // refused: deleted first (a no-op when there are none).
        var out: [SetCookie] =
            c.domain == nil ? [] : hostOnlyDeletions(c, access: access != nil, refresh: refresh != nil)
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
        var out = [
            cookie(c.accessName, "", path: c.accessPath, httpOnly: true, c, expired: true),
            cookie(c.refreshName, "", path: c.refreshPath, httpOnly: true, c, expired: true)
        ]
        if c.csrfProtect, c.csrfInCookies {
            out.append(cookie(c.accessCSRFName, "", path: c.accessCSRFPath, httpOnly: false, c, expired: true))
            out.append(cookie(c.refreshCSRFName, "", path: c.refreshCSRFPath, httpOnly: false, c, expired: true))
        }
        if c.domain != nil { out += hostOnlyDeletions(c, access: true, refresh: true) }
        return out.map(\.header)
    }

    /// Deletions of host-only cookies of the configured names (no Domain).
    private static func hostOnlyDeletions(_ c: JWTCookieSettings, access: Bool, refresh: Bool) -> [SetCookie] {
        var hostOnly = c
        hostOnly.domain = nil
        var out: [SetCookie] = []
        if access {
            out.append(cookie(c.accessName, "", path: c.accessPath, httpOnly: true, hostOnly, expired: true))
            out.append(cookie(c.accessCSRFName, "", path: c.accessCSRFPath, httpOnly: false, hostOnly, expired: true))
        }
        if refresh {
            out.append(cookie(c.refreshName, "", path: c.refreshPath, httpOnly: true, hostOnly, expired: true))
            out.append(cookie(c.refreshCSRFName, "", path: c.refreshCSRFPath, httpOnly: false, hostOnly, expired: true))
        }
        return out
    }

    private static func cookie(
        _ name: String, _ value: String, path: String, httpOnly: Bool,
        _ c: JWTCookieSettings, expired: Bool = false
    ) -> SetCookie {
        SetCookie(
            name: name, value: value, path: path, domain: c.domain, maxAge: c.maxAge, secure: c.secure,
            httpOnly: httpOnly, sameSite: c.sameSite, expired: expired)
    }
}
