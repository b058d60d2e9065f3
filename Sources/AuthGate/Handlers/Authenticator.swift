/// The bearer-token checks every protected route runs, in the contract's
/// order: header, signature and `alg`, claims, type, revocation, user.
enum Authenticator {
    /// The verified claims and their user. `kind` nil accepts either type.
    static func authenticate(_ request: Request, _ context: Context, kind: Claims.Kind?) throws -> (Claims, UserRecord) {
        guard let header = request.headers["authorization"] else { throw TokenError.authorizationHeader }
        let parts = header.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let scheme = parts.first, scheme.lowercased() == "bearer" else { throw TokenError.authorizationHeader }
        guard parts.count == 2 else { throw TokenError.invalidToken }
        let claims = try context.services.tokens.verify(String(parts[1]), now: context.now)
        if let kind, claims.kind != kind {
            throw kind == .access ? TokenError.accessRequired : TokenError.refreshRequired
        }
        if try context.store.isRevoked(jti: claims.jti) { throw TokenError.revoked }
        guard let user = try context.store.user(named: claims.subject) else { throw TokenError.userNotFound }
        return (claims, user)
    }
}
