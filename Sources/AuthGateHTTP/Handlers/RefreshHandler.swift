/// GET|POST /auth/refresh: a refresh token buys a new, non-fresh access token.
enum RefreshHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (_, user) = try Authenticator.authenticate(request, context, kind: .refresh)
        let access = try TokenIssuer(context).token(for: user.username, kind: .access, fresh: false)
        return .json(200, [("access_token", .string(access))], headers: TokenIssuer.responseHeaders)
    }
}
