/// One `Set-Cookie` header value, laid out as Werkzeug's `dump_cookie`
/// writes it (Flask's `response.set_cookie`): `name=value; Domain=...;
/// Expires=...; Max-Age=...; Secure; HttpOnly; Path=...; SameSite=...`.
/// Names, paths and domains come from validated settings and values are
/// tokens (base64url and dots) or UUIDs, so nothing needs quoting.
struct SetCookie {
    var name: String
    var value: String
    var path: String
    var domain: String?
    /// Seconds; nil: a session cookie.
    var maxAge: Int?
    var secure: Bool
    var httpOnly: Bool
    var sameSite: String?
    /// A deletion: an empty value that expired at the epoch.
    var expired = false

    var headerValue: String {
        var parts = ["\(name)=\(value)"]
        if let domain { parts.append("Domain=\(domain)") }
        if expired {
            parts.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
            parts.append("Max-Age=0")
        } else if let maxAge {
            parts.append("Max-Age=\(maxAge)")
        }
        if secure { parts.append("Secure") }
        if httpOnly { parts.append("HttpOnly") }
        parts.append("Path=\(path)")
        if let sameSite { parts.append("SameSite=\(sameSite)") }
        return parts.joined(separator: "; ")
    }

    var header: (name: String, value: String) { ("Set-Cookie", headerValue) }
}
