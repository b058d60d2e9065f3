import AuthGateCore
/// Signs new tokens with the configured lifetimes.
struct TokenIssuer {
    let context: Context

    init(_ context: Context) { self.context = context }

    /// Headers of a response that carries tokens: no cache or proxy may keep a copy.
    static let responseHeaders: [(name: String, value: String)] = [("Cache-Control", "no-store")]

    /// `family`: the `fam` claim of a rotated refresh token; nil writes none.
    func token(for subject: String, kind: Claims.Kind, fresh: Bool, family: String? = nil) throws -> String {
        let now = Int64(context.now)
        let config = context.config
        let lifetime = kind == .access ? config.accessExpires : config.refreshExpires
        return try context.services.tokens.sign(Claims(
            subject: subject, kind: kind, fresh: fresh, jti: UUID4.make(),
            issuedAt: now, notBefore: now, expires: Double(now + lifetime), family: family))
    }
}
