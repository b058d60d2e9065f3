import AuthGateCore
/// A person's browser opening a gated page, as `/auth/verify` sees it in
/// cookie mode: the original request is a GET or HEAD that accepts HTML.
/// Its 401 names where the forward-auth recipe sends it (`Location`, which
/// the recipe turns into a 302): the session-refresh bounce when the
/// access cookie is missing or expired but a refresh cookie may renew it,
/// else the sign-in page; either returns to the original address. API
/// clients (no `text/html` in Accept) keep the JSON 401 alone, and so does
/// a valid session refused by `mfa=1` for want of a second factor: signing
/// in again would give a user without one the same session, round and
/// round (enrolling ends older sessions, so an enrolled user's come back
/// as revoked and do go to the sign-in page).
enum BrowserNavigation {
    static let signInPath = "/auth/sign-in"
    static let refreshPath = "/auth/refresh-session"

    static func location(for request: Request, _ context: Context, refusal: any HTTPError) -> String? {
        let cookies = context.config.cookies
        if refusal as? SecondFactorError == .tokenWithoutSecondFactor { return nil }
        guard cookies.enabled, TokenCookie.isSafe(originalMethod: request.originalMethod),
            let accept = request.headers["accept"], accept.lowercased().contains("text/html")
        else { return nil }
        let rd = SafeRedirect.target(request.originalURI, allowed: context.config.redirectHosts)
        var renewable = false
        // Only an access cookie that came and expired: one that never
        // arrives (a path that does not cover the page, a cookie too large
        // to keep) would send the browser round the bounce for ever.
        if let error = refusal as? TokenError, error == .expired {
            renewable = (try? TokenCookie.token(named: cookies.refreshName, in: request.headers["cookie"])) != nil
        }
        return (renewable ? refreshPath : signInPath) + "?rd=" + URLComponent.encode(rd)
    }
}
