import AuthGateCore
/// A revoked refresh token presented again: with rotation, a sign that it
/// was copied (the rightful client holds its successor). Every refresh
/// token of its family is revoked, the successors included.
enum RefreshReuse {
    /// Past the family's last possible expiry: a rotation racing this
    /// revocation may mint one more token a moment later.
    static let marginSeconds = 60.0

    static func revokeFamily(of claims: Claims, _ request: Request, _ context: Context) throws {
        guard claims.kind == .refresh else { return }
        // A token without `fam` has successors only if rotation renewed it,
        // under the family its jti names. With rotation off nothing is
        // renewed: a revoked token (a logout) is refused and nothing more
        // is written, as before rotation existed.
        guard claims.family != nil || context.config.refreshRotation else { return }
        let family = try RefreshFamily.name(of: claims)
        let now = context.now
        // Every token of the family was issued by now, so expires by now + lifetime.
        let expiresAt = max(claims.expires, now + Double(context.config.refreshExpires)) + marginSeconds
        try context.store.revokeFamily(family, username: claims.subject, now: now, expiresAt: expiresAt)
        request.logger.warning("refresh token reused: its family is revoked", metadata: [
            "event": "refresh_token_reuse", "username": "\(claims.subject)", "family": "\(family)",
        ])
    }
}
