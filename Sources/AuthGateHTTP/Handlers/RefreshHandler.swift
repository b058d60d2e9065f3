import AuthGateCore
/// GET|POST /auth/refresh: a refresh token buys a new, non-fresh access
/// token. With `AUTHGATE_REFRESH_ROTATION` it also buys a new refresh token
/// of the same family, and the one presented is revoked
/// (docs/refresh-rotation.md).
enum RefreshHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (claims, user) = try Authenticator.authenticate(request, context, kind: .refresh,
                                                            onRevoked: { try RefreshReuse.revokeFamily(of: $0, request, context) })
        let config = context.config
        // A login's absolute lifetime: rotation renews tokens, never the
        // login. A token without `auth_time` (from before rotation was on,
        // or from Flask) counts from its iat. With rotation off, only
        // tokens of a rotating login (which carry `auth_time`) are capped.
        let deadline = RefreshFamily.deadline(of: claims, maxAge: config.refreshMaxAge)
        if config.refreshRotation || claims.authTime != nil, deadline <= context.now - Double(config.leeway) {
            throw TokenError.expired
        }
        let issuer = TokenIssuer(context)
        guard config.refreshRotation else {
            let access = try issuer.token(for: user.username, kind: .access, fresh: false)
            return .json(200, [("access_token", .string(access))], headers: TokenIssuer.responseHeaders)
        }
        // The blocklist's unique jti is the arbiter: of two refreshes with
        // one token, one insert takes it and the other is refused. The
        // loser is not taken for reuse (a client's retry looks the same);
        // presenting the token again later is.
        guard try context.store.revokeIfLive(jti: claims.jti, type: Claims.Kind.refresh.rawValue, now: context.now,
                                             expiresAt: claims.expires) else {
            request.logger.notice("refresh token lost a concurrent rotation", metadata: ["username": "\(claims.subject)"])
            throw TokenError.revoked
        }
        // A token without `fam` continues under a family named after its
        // jti, which a later reuse of it revokes (RefreshReuse).
        let access = try issuer.token(for: user.username, kind: .access, fresh: false)
        let refresh = try issuer.token(for: user.username, kind: .refresh, fresh: false,
                                       family: try RefreshFamily.name(of: claims),
                                       authTime: RefreshFamily.loginTime(of: claims), expiresBy: deadline)
        return .json(200, [("access_token", .string(access)), ("refresh_token", .string(refresh))],
                     headers: TokenIssuer.responseHeaders)
    }
}
