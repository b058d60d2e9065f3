import AuthGateCore
/// GET /auth/refresh-session?rd=: the bounce a browser takes when its
/// access cookie is missing or expired but its refresh cookie may renew
/// it (`/auth/verify` names it in `Location`). The refresh cookie buys new
/// tokens as `/auth/refresh` would, set here as cookies on a 303 back to
/// `rd` (the access token only: the bounce never rotates the refresh
/// token, since another site can start it): nginx passes on only one
/// `Set-Cookie` of an auth subrequest, so
/// the renewal cannot ride on the gated request itself. A refresh cookie
/// that no longer works sends the browser to the sign-in page instead,
/// with its session cookies deleted, so it cannot loop.
enum SessionRefreshHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let config = context.config
        guard config.cookies.enabled else { throw APIError.notFound }
        let rd = SafeRedirect.target(request.queryValue("rd"), allowed: config.redirectHosts)
        let prefix = request.path.hasPrefix("/api/") ? "/api" : ""
        let changesState = request.method != "HEAD"
        do {
            let token = try TokenCookie.token(named: config.cookies.refreshName, in: request.headers["cookie"])
            let (claims, user) = try Authenticator.authenticate(
                token: token, context, kind: .refresh,
                onRevoked: { claims in
                    try RefreshReuse.revokeFamily(of: claims, request, context, changesState: changesState)
                })
            // Never rotates: the bounce is a top-level navigation another
            // site can start, so it must not change the refresh token.
            let (access, refresh) = try RefreshHandler.renew(
                claims, user, request, context, changesState: changesState,
                rotate: false)
            let cookies = changesState ? SessionCookies.set(access: access, refresh: refresh, config.cookies) : []
            return Response(status: 303, headers: [("Location", rd)] + SignInPage.headers(config) + cookies, body: [])
        } catch is TokenError {
            let signIn = prefix + BrowserNavigation.signInPath + "?rd=" + URLComponent.encode(rd)
            return Response(
                status: 303,
                headers: [("Location", signIn)] + SignInPage.headers(config)
                    + SessionCookies.clear(config.cookies), body: [])
        }
    }
}
