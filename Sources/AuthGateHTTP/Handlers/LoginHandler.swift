import AuthGateCore
/// POST /auth/login: one full hash verification whatever the outcome, so
/// neither the answer nor its timing tells which usernames exist.
enum LoginHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let body = try JSONBody(request)
        let username = try body.string("username")
        let password = try body.string("password")
        let user = try context.store.user(named: username)
        switch context.services.passwords.verify(password, against: user?.passwordHash) {
        case .match:
            break
        case .unreadable:
            request.logger.warning("stored password hash is unreadable: unknown format, or a cost beyond Werkzeug's limits")
            throw APIError.invalidCredentials
        case .mismatch:
            throw APIError.invalidCredentials
        }
        guard let user else { throw APIError.invalidCredentials }
        let issuer = TokenIssuer(context)
        let access = try issuer.token(for: user.username, kind: .access, fresh: true)
        // With rotation, the login starts a family its rotated tokens carry on.
        let family = context.config.refreshRotation ? try UUID4.make() : nil
        let refresh = try issuer.token(for: user.username, kind: .refresh, fresh: false, family: family)
        return .json(200, [
            ("message", .string("Logged in")),
            ("tokens", .object(["access": .string(access), "refresh": .string(refresh)])),
        ], headers: TokenIssuer.responseHeaders)
    }
}
