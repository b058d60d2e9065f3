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
            context.logger.warning("stored password hash has an unknown format",
                                   metadata: ["request.id": "\(request.id)"])
            throw APIError.invalidCredentials
        case .mismatch:
            throw APIError.invalidCredentials
        }
        guard let user else { throw APIError.invalidCredentials }
        let issuer = TokenIssuer(context)
        let access = try issuer.token(for: user.username, kind: .access, fresh: true)
        let refresh = try issuer.token(for: user.username, kind: .refresh, fresh: false)
        return .json(200, [
            ("message", .string("Logged in")),
            ("tokens", .object(["access": .string(access), "refresh": .string(refresh)])),
        ])
    }
}

/// Signs new tokens with the configured lifetimes.
struct TokenIssuer {
    let context: Context

    init(_ context: Context) { self.context = context }

    func token(for subject: String, kind: Claims.Kind, fresh: Bool) throws -> String {
        let now = Int64(context.now)
        let config = context.config
        let lifetime = kind == .access ? config.accessExpires : config.refreshExpires
        return try context.services.tokens.sign(Claims(
            subject: subject, kind: kind, fresh: fresh, jti: UUID4.make(),
            issuedAt: now, notBefore: now, expires: Double(now + lifetime)))
    }
}
