import AuthGateCore
/// A revoked refresh token presented again: with rotation, a sign that it
/// was copied (the rightful client holds its successor). Its whole family
/// is revoked: the successors, and the access tokens of the login.
enum RefreshReuse {
    /// `changesState` false (HEAD): the reuse is logged, as the alarm it
    /// is, but nothing is revoked (HEAD changes nothing).
    static func revokeFamily(
        of claims: Claims, _ request: Request, _ context: Context,
        changesState: Bool = true
    ) throws {
        guard claims.kind == .refresh else { return }
        // Only a token rotation renewed has successors: with rotation on,
        // or one a rotation issued (it carries `auth_time`) before rotation
        // was turned off. Any other revoked token (a logout) is refused and
        // nothing more is written, as before rotation existed.
        guard claims.authTime != nil || context.config.refreshRotation else { return }
        let family = try RefreshFamily.name(of: claims)
        guard changesState else {
            request.logger.warning(
                "rotated refresh token presented with HEAD: nothing revoked",
                metadata: [
                    "event": "refresh_token_reuse_probe", "username": "\(claims.subject)", "family": "\(family)"
                ])
            return
        }
        try FamilyRevocation.revoke(family, of: claims, context)
        request.logger.warning(
            "refresh token reused: its family is revoked",
            metadata: [
                "event": "refresh_token_reuse", "username": "\(claims.subject)", "family": "\(family)"
            ])
    }
}
