import AuthGateCore
/// GET /auth/verify: nginx's `auth_request` asks whether a request may
/// reach the application behind it. A valid access token answers 200 with
/// an empty body and the identity headers nginx passes on; anything else
/// is the usual token 401 (the whoami checks, in the same order), plus the
/// requirements the nginx location sets (`fresh`, `max_age`; a user
/// outside its `allowed_groups` is a 403 after every token check). In cookie
/// mode a browser's navigation that is refused also learns where to go:
/// `Location` names the sign-in page, or the session-refresh bounce when
/// its refresh cookie can renew an expired access cookie.
public enum VerifyHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        do {
            // An operator's mistake in the location, so it is answered
            // whatever the token (nginx turns it into a 500 and logs it).
            let requirements = try VerifyRequirements(request)
            let source = try tokenSource(of: request, context)
            let (claims, user) = try Authenticator.authenticate(
                token: source.token, csrf: source.csrf, context,
                kind: .access)
            try requirements.check(claims, now: context.now, leeway: context.config.leeway)
            // Read now, not from the token: a membership change applies to
            // the next request (served from the read cache on PostgreSQL).
            let groups = try context.store.groups(ofUserID: user.id)
            do {
                try requirements.check(groups: groups)
            } catch {
                throw VerifyRefusal(error)  // its body as X-Auth-Error too; never a sign-in redirect
            }
            return Response(
                status: 200,
                headers: [
                    ("X-Auth-User", IdentityHeaderValue.encode(user.username)),
                    ("X-Auth-User-Id", IdentityHeaderValue.encode(user.id)),
                    // Each name encoded alone, so a comma only ever separates two.
                    ("X-Auth-User-Groups", groups.map(IdentityHeaderValue.encode).joined(separator: ",")),
                    ("X-Auth-User-Email", IdentityHeaderValue.encode(user.email)),
                    // How the token's login proved who it was (`pwd,otp`);
                    // none sends no header, as for the groups.
                    ("X-Auth-AMR", (claims.amr ?? []).map(IdentityHeaderValue.encode).joined(separator: ","))
                ], body: [])
        } catch let refusal as any HTTPError where refusal.httpStatus == 401 {
            throw VerifyRefusal(refusal, location: BrowserNavigation.location(for: request, context, refusal: refusal))
        }
    }

    /// Where the token is: in cookie mode as every route finds it (the
    /// CSRF rule applied to the original request's method: one nginx did
    /// not pass counts as unsafe); else the Authorization header, or with
    /// `AUTHGATE_VERIFY_COOKIE` that cookie for a GET or HEAD original only.
    static func tokenSource(of request: Request, _ context: Context) throws(TokenError) -> TokenSource {
        if context.config.cookies.enabled {
            return try TokenSource(request, context, kind: .access, method: request.originalMethod ?? "POST")
        }
        guard request.headers["authorization"] == nil, let name = context.config.verifyCookie,
            TokenCookie.isSafe(originalMethod: request.originalMethod)
        else {
            return TokenSource(token: try Authenticator.bearerToken(request), csrf: nil)
        }
        return TokenSource(token: try TokenCookie.token(named: name, in: request.headers["cookie"]), csrf: nil)
    }
}
