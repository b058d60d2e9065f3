/// GET|POST /auth/logout: revokes the presented token (access or refresh)
/// until it would have expired anyway.
enum LogoutHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (claims, _) = try Authenticator.authenticate(request, context, kind: nil)
        try context.store.revoke(jti: claims.jti, type: claims.kind.rawValue, now: context.now,
                                 expiresAt: claims.expires)
        return .json(200, [("message", .string("\(claims.kind.rawValue) token revoked successfully"))])
    }
}
