import AuthGateCore
import AuthGateStore
/// GET|POST /auth/refresh: a refresh token buys a new, non-fresh access
/// token. With `AUTHGATE_REFRESH_ROTATION` it also buys a new refresh token
/// of the same family, and the one presented is revoked
/// (docs/refresh-rotation.md). HEAD answers what GET would and changes
/// nothing: it neither rotates nor takes a reuse for theft, since its
/// answer carries no body and a new pair would be lost.
enum RefreshHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let changesState = request.method != "HEAD"
        let config = context.config
        // With rotation a GET refresh changes state: a cookie-borne token
        // must prove the CSRF value whatever the method.
        let rotates = config.refreshRotation && changesState
        let fromCookie = TokenSource.readsCookie(request, config.cookies)
        let (claims, user) = try Authenticator.authenticate(
            request, context, kind: .refresh,
            csrfMethod: rotates ? "POST" : nil,
            onRevoked: { claims in
                try RefreshReuse.revokeFamily(of: claims, request, context, changesState: changesState)
            })
        let (access, refresh) = try renew(claims, user, request, context, changesState: changesState)
        // Cookie mode: the new tokens as cookies; never to HEAD, whose
        // tokens are signed only for the head's length and are never used.
        let setCookies =
            config.cookies.enabled && changesState
            ? SessionCookies.set(access: access, refresh: refresh, config.cookies) : []
        // A token that came in an HttpOnly cookie buys tokens that stay in
        // cookies: putting them in the body would hand them to any script of
        // the page. The body is then Flask-JWT-Extended's cookie example's.
        if fromCookie {
            return .json(200, [("refresh", .bool(true))], headers: TokenIssuer.responseHeaders + setCookies)
        }
        var members: [(String, JSONValue)] = [("access_token", .string(access.text))]
        if let refresh { members.append(("refresh_token", .string(refresh.text))) }
        return .json(200, members, headers: TokenIssuer.responseHeaders + setCookies)
    }

    /// The tokens a verified refresh token buys: an access token, and with
    /// rotation its successor (nil without). `changesState` false (HEAD)
    /// signs them without revoking the one presented.
    /// `rotate` false renews the access token only, even with rotation on
    /// (the browser's bounce, a cross-site navigation, never rotates).
    static func renew(
        _ claims: Claims, _ user: UserRecord, _ request: Request, _ context: Context,
        changesState: Bool, rotate: Bool = true
    ) throws -> (access: IssuedToken, refresh: IssuedToken?) {
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
        // The new access token stays in the login's family, so that ending
        // the login (reuse, a session logout) ends it too.
        let family = config.tokenFamilies ? try RefreshFamily.name(of: claims) : nil
        // The login's methods pass on: a second factor stays proven.
        let access = try issuer.token(for: user, kind: .access, fresh: false, family: family, amr: claims.amr)
        guard config.refreshRotation, rotate else { return (access, nil) }
        // The blocklist's unique jti is the arbiter: of two refreshes with
        // one token, one insert takes it and the other is refused. The
        // loser is not taken for reuse (a client's retry looks the same);
        // presenting the token again later is.
        if changesState,
            try !context.store.revokeIfLive(
                jti: claims.jti, type: Claims.Kind.refresh.rawValue,
                now: context.now, expiresAt: claims.expires)
        {
            request.logger.notice(
                "refresh token lost a concurrent rotation", metadata: ["username": "\(claims.subject)"])
            throw TokenError.revoked
        }
        // A token without `fam` continues under a family named after its
        // jti, which a later reuse of it revokes (RefreshReuse).
        let refresh = try issuer.token(
            for: user, kind: .refresh, fresh: false, family: family,
            authTime: RefreshFamily.loginTime(of: claims), expiresBy: deadline, amr: claims.amr)
        return (access, refresh)
    }
}
