import AuthGateCore
/// A revoked refresh token presented again: with rotation, a sign that it
/// was copied (the rightful client holds its successor). Its whole family
/// is revoked: the successors, and the access tokens of the login.
enum RefreshReuse {
    static func revokeFamily(of claims: Claims, _ request: Request, _ context: Context) throws {
        guard claims.kind == .refresh else { return }
        // A token without `fam` has successors only if rotation renewed it,
        // under the family its jti names. With rotation off nothing is
        // renewed: a revoked token (a logout) is refused and nothing more
        // is written, as before rotation existed.
        guard claims.family != nil || context.config.refreshRotation else { return }
        let family = try RefreshFamily.name(of: claims)
        try FamilyRevocation.revoke(family, of: claims, context)
        request.logger.warning("refresh token reused: its family is revoked", metadata: [
            "event": "refresh_token_reuse", "username": "\(claims.subject)", "family": "\(family)",
        ])
    }
}
