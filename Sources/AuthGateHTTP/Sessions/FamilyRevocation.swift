import AuthGateCore
/// Ends a login: revokes its family, so every token that carries it
/// (access and refresh, including any a racing refresh mints a moment
/// later) is refused on every responder (docs/refresh-rotation.md).
enum FamilyRevocation {
    /// Past the family's last possible expiry: a rotation racing this
    /// revocation may mint one more token a moment later.
    static let marginSeconds = 60.0

    /// The family a token ends when its login ends: its `fam`; for a
    /// refresh token without one, the family its successors were given
    /// (`RefreshFamily.name`). An access token without `fam` belongs to no
    /// family AuthGate knows of: nil.
    static func family(of claims: Claims) throws -> String? {
        if let family = claims.family { return family }
        return claims.kind == .refresh ? try RefreshFamily.name(of: claims) : nil
    }

    /// Records `family` revoked until no token of it can still be valid.
    static func revoke(_ family: String, of claims: Claims, _ context: Context) throws {
        let config = context.config
        let now = context.now
        // Every token of the family was issued by now, so expires by now +
        // lifetime, and a rotating login's by its deadline. (A token issued
        // under a longer lifetime than today's may outlive the row: lower
        // lifetimes with `revoke-user`, docs/refresh-rotation.md.)
        let lifetime = Double(max(config.accessExpires, config.refreshExpires))
        var expiresAt = max(claims.expires, now + lifetime)
        if claims.authTime != nil {
            expiresAt = max(expiresAt, RefreshFamily.deadline(of: claims, maxAge: config.refreshMaxAge))
        }
        expiresAt += marginSeconds
        try context.store.revokeFamily(family, username: claims.subject, now: now, expiresAt: expiresAt)
    }
}
