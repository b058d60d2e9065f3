import AuthGateCore
/// POST /auth/login: the password check (`Credentials`), then a new pair
/// of tokens; in cookie mode the same tokens are set as cookies too.
enum LoginHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let body = try JSONBody(request)
        let username = try body.string("username")
        let password = try body.string("password")
        let user = try Credentials.verify(username: username, password: password, request, context)
        let (access, refresh) = try TokenIssuer(context).login(for: user)
        let cookies = context.config.cookies
        return .json(
            200,
            [
                ("message", .string("Logged in")),
                ("tokens", .object(["access": .string(access.text), "refresh": .string(refresh.text)]))
            ],
            headers: TokenIssuer.responseHeaders
                + (cookies.enabled ? SessionCookies.set(access: access, refresh: refresh, cookies) : []))
    }
}
