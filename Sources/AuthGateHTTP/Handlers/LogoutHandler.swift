/// GET|POST /auth/logout: revokes the presented token (access or refresh)
/// until it would have expired anyway; with `AUTHGATE_LOGOUT_SCOPE=session`
/// (the default with rotation on) also its login's family, which ends
/// every access and refresh token of that login. HEAD answers what GET
/// would and revokes nothing: a probe or a prefetcher must not log anyone out.
enum LogoutHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (claims, _) = try Authenticator.authenticate(request, context, kind: nil)
        if request.method != "HEAD" {
            try context.store.revoke(jti: claims.jti, type: claims.kind.rawValue, now: context.now,
                                     expiresAt: claims.expires)
            if context.config.logoutScope == .session, let family = try FamilyRevocation.family(of: claims) {
                try FamilyRevocation.revoke(family, of: claims, context)
            }
        }
        return .json(200, [("message", .string("\(claims.kind.rawValue) token revoked successfully"))])
    }
}
