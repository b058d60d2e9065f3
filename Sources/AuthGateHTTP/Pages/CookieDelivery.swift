import AuthGateCore
/// Cookie settings a browser would refuse for this request, which would
/// send a person back to the sign-in page after every sign-in (a loop):
/// a `Secure` cookie on a plain-http page, or a cookie domain that does
/// not cover the host. Checked on the page, where the request shows both,
/// and explained instead of looped.
enum CookieDelivery {
    static func problem(_ request: Request, _ cookies: JWTCookieSettings) -> String? {
        if cookies.secure, request.headers["x-authgate-scheme"]?.lowercased() == "http" {
            return "This site sets its sign-in cookies Secure (FLASK_JWT_COOKIE_SECURE=true), but this page was "
                + "opened over plain http, where the browser drops them: serve it over https, or turn "
                + "FLASK_JWT_COOKIE_SECURE off for a local test."
        }
        if let domain = cookies.domain, let host = hostName(request.headers["host"]) {
            let bare = domain.hasPrefix(".") ? String(domain.dropFirst()).lowercased() : domain.lowercased()
            if host != bare && !host.hasSuffix("." + bare) {
                return "This site's sign-in cookies are for the domain \(bare) (FLASK_JWT_COOKIE_DOMAIN), "
                    + "which does not cover \(host), so the browser refuses them: open the sign-in page on a "
                    + "host under \(bare), or change FLASK_JWT_COOKIE_DOMAIN."
            }
        }
        return nil
    }

    /// The Host header without its port, lower-cased; nil when absent.
    static func hostName(_ header: String?) -> String? {
        guard let header, !header.isEmpty else { return nil }
        if header.hasPrefix("[") { return header.prefix { $0 != "]" }.lowercased() + "]" }
        return header.prefix { $0 != ":" }.lowercased()
    }
}
