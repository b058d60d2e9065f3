import AuthGateCore
/// GET|POST /auth/logout: revokes the presented token (access or refresh)
/// until it would have expired anyway; with `AUTHGATE_LOGOUT_SCOPE=session`
/// (the default with rotation on) also its login's family, which ends
/// every access and refresh token of that login. HEAD answers what GET
/// would and revokes nothing: a probe or a prefetcher must not log anyone out.
enum LogoutHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        // GET logout changes state too: a cookie-borne token must prove the
        // CSRF value whatever the method (else a link on another site logs
        // the person out). HEAD changes nothing.
        let changesState = request.method != "HEAD"
        let (claims, _) = try Authenticator.authenticate(
            request, context, kind: nil,
            csrfMethod: changesState ? "POST" : request.method)
        let message: [(String, JSONValue)] = [
            ("message", .string("\(claims.kind.rawValue) token revoked successfully"))
        ]
        guard changesState else { return .json(200, message) }
        try revoke(claims, context)
        // Cookie mode: the browser forgets the session's cookies too.
        let cookies = context.config.cookies
        return .json(200, message, headers: cookies.enabled ? SessionCookies.clear(cookies) : [])
    }

    /// Revokes the token and, with the session scope, its login.
    static func revoke(_ claims: Claims, _ context: Context) throws {
        try context.store.revoke(
            jti: claims.jti, type: claims.kind.rawValue, now: context.now, expiresAt: claims.expires)
        if context.config.logoutScope == .session, let family = try FamilyRevocation.family(of: claims) {
            try FamilyRevocation.revoke(family, of: claims, context)
        }
    }
}
