import AuthGateCore
import AuthGateStore

/// POST /auth/login: the password check (`Credentials`), then a new pair
/// of tokens; in cookie mode the same tokens are set as cookies too. A
/// user with a second factor gets a challenge instead (401
/// `mfa_required`), only after the password matched, so unknown users,
/// wrong passwords and enrolled users look alike until then.
enum LoginHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let body = try JSONBody(request)
        let username = try body.string("username")
        let password = try body.string("password")
        let (user, methods) = try Credentials.verify(username: username, password: password, request, context)
        if !methods.isEmpty {
            guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
            throw SecondFactorError.mfaRequired(
                token: try MFAChallenge.issue(for: user, keys: keys, now: context.now).text, methods: methods)
        }
        return try answer(for: user, amr: nil, context)
    }

    /// The login body and, in cookie mode, the cookies: for a password
    /// login and for its second step alike.
    static func answer(for user: UserRecord, amr: [String]?, _ context: Context) throws -> Response {
        let (tokens, headers) = try issue(for: user, amr: amr, context)
        return .json(200, [("message", .string("Logged in")), ("tokens", tokens)], headers: headers)
    }

    /// A login's new pair, as the body's `tokens` member, and the headers
    /// that go with it (no-store, and the cookies in cookie mode).
    static func issue(for user: UserRecord, amr: [String]?, _ context: Context) throws -> (
        tokens: JSONValue, headers: [(name: String, value: String)]
    ) {
        let (access, refresh) = try TokenIssuer(context).login(for: user, amr: amr)
        let cookies = context.config.cookies
        return (
            .object(["access": .string(access.text), "refresh": .string(refresh.text)]),
            TokenIssuer.responseHeaders
                + (cookies.enabled ? SessionCookies.set(access: access, refresh: refresh, cookies) : [])
        )
    }
}
