import AuthGateCore
/// GET /auth/verify: nginx's `auth_request` asks whether a request may
/// reach the application behind it. A valid access token answers 200 with
/// an empty body and the identity headers nginx passes on; anything else
/// is the usual token 401 (the whoami checks, in the same order), plus the
/// requirements the nginx location sets (`fresh`, `max_age`).
public enum VerifyHandler {
    /// The FastCGI parameter the recipe sets to the method of the request
    /// being authorized. Not an `HTTP_*` parameter: no client header becomes it.
    public static let originalMethodParameter = "AUTHGATE_ORIGINAL_METHOD"

    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        do {
            // An operator's mistake in the location, so it is answered
            // whatever the token (nginx turns it into a 500 and logs it).
            let requirements = try VerifyRequirements(request)
            let (claims, user) = try Authenticator.authenticate(token: try token(of: request, context), context,
                                                                kind: .access)
            try requirements.check(claims, now: context.now, leeway: context.config.leeway)
            return Response(status: 200, headers: [
                ("X-Auth-User", IdentityHeaderValue.encode(user.username)),
                ("X-Auth-User-Id", IdentityHeaderValue.encode(user.id)),
            ], body: [])
        } catch let refusal as any HTTPError where refusal.httpStatus == 401 {
            throw VerifyRefusal(refusal)
        }
    }

    /// The Authorization header's token when there is that header (it wins);
    /// else, with the cookie source on, the cookie's, for a GET or HEAD only.
    static func token(of request: Request, _ context: Context) throws(TokenError) -> [UInt8] {
        guard request.headers["authorization"] == nil, let name = context.config.verifyCookie,
              TokenCookie.isSafe(originalMethod: request.originalMethod) else {
            return try Authenticator.bearerToken(request)
        }
        return try TokenCookie.token(named: name, in: request.headers["cookie"])
    }
}
