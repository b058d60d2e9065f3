import AuthGateCore
import AuthGateStore
/// The bearer-token checks every protected route runs, in the contract's
/// order: header, signature and `alg`, claims, type, revocation, user.
enum Authenticator {
    /// The verified claims and their user. `kind` nil accepts either type.
    static func authenticate(_ request: Request, _ context: Context, kind: Claims.Kind?) throws -> (Claims, UserRecord) {
        guard let header = request.headers["authorization"] else { throw TokenError.authorizationHeader }
        // Bytes, not Characters: no grapheme breaking on the hot path.
        let parts = header.utf8.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        guard let scheme = parts.first, isBearer(scheme) else { throw TokenError.authorizationHeader }
        guard parts.count == 2 else { throw TokenError.invalidToken }
        let payload = try context.verifiedPayload(String(decoding: parts[1], as: UTF8.self))
        let claims = try context.services.tokens.claims(from: payload, now: context.now)
        if let kind, claims.kind != kind {
            throw kind == .access ? TokenError.accessRequired : TokenError.refreshRequired
        }
        if try context.store.isRevoked(jti: claims.jti) { throw TokenError.revoked }
        guard let user = try context.store.user(named: claims.subject) else { throw TokenError.userNotFound }
        return (claims, user)
    }

    /// "Bearer" in any letter case.
    static func isBearer(_ scheme: Substring.UTF8View.SubSequence) -> Bool {
        scheme.count == 6 && zip(scheme, "bearer".utf8).allSatisfy { $0 | 0x20 == $1 }
    }
}
