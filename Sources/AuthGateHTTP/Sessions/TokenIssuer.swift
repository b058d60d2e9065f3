import AuthGateCore
import AuthGateStore
/// Signs new tokens with the configured lifetimes.
struct TokenIssuer {
    let context: Context

    init(_ context: Context) { self.context = context }

    /// Headers of a response that carries tokens: no cache or proxy may keep a copy.
    static let responseHeaders: [(name: String, value: String)] = [("Cache-Control", "no-store")]

    /// `family`, `authTime`: the `fam` and `auth_time` claims of a rotated
    /// refresh token; nil writes none. `expiresBy`: a moment the token must
    /// not outlive (its family's absolute deadline), else the full lifetime.
    /// In cookie mode with CSRF protection the token carries a new `csrf`
    /// value, as Flask-JWT-Extended's do; with `AUTHGATE_TOKEN_GROUPS` an
    /// access token carries the user's groups as they are now. `amr`: the
    /// login's methods after a second factor (nil after a password alone).
    func token(
        for user: UserRecord, kind: Claims.Kind, fresh: Bool, family: String? = nil,
        authTime: Int64? = nil, expiresBy deadline: Double? = nil, amr: [String]? = nil
    ) throws -> IssuedToken {
        let now = Int64(context.now)
        let config = context.config
        let lifetime = kind == .access ? config.accessExpires : config.refreshExpires
        var expires = Double(now + lifetime)
        if let deadline { expires = min(expires, deadline) }
        let csrf = config.cookies.tokensCarryCSRF ? try UUID4.make() : nil
        // Read at signing time, so login and refresh pick up a change.
        let groups =
            config.tokenGroups && kind == .access
            ? GroupName.sorted(try context.store.groups(ofUserID: user.id)) : nil
        let text = try context.services.tokens.sign(
            Claims(
                subject: user.username, kind: kind, fresh: fresh, jti: UUID4.make(),
                issuedAt: now, notBefore: now, expires: expires, family: family, authTime: authTime, csrf: csrf,
                groups: groups, amr: amr))
        return IssuedToken(text: text, csrf: csrf)
    }

    /// The pair a login answers. With token families on (rotation, or a
    /// session logout scope) both tokens carry a new family, so that reuse
    /// detection or a logout ends the whole login; with rotation the
    /// refresh token also carries `auth_time` and never outlives the
    /// login's absolute lifetime. Off: Flask's claims exactly. `amr`: as
    /// `token`, on both tokens, so that a refresh passes it on.
    func login(for user: UserRecord, amr: [String]? = nil) throws -> (access: IssuedToken, refresh: IssuedToken) {
        let config = context.config
        guard config.tokenFamilies else {
            return (
                try token(for: user, kind: .access, fresh: true, amr: amr),
                try token(for: user, kind: .refresh, fresh: false, amr: amr)
            )
        }
        let family = try UUID4.make()
        let access = try token(for: user, kind: .access, fresh: true, family: family, amr: amr)
        guard config.refreshRotation else {
            return (access, try token(for: user, kind: .refresh, fresh: false, family: family, amr: amr))
        }
        let loginTime = Int64(context.now)
        let refresh = try token(
            for: user, kind: .refresh, fresh: false, family: family, authTime: loginTime,
            expiresBy: Double(loginTime) + Double(config.refreshMaxAge), amr: amr)
        return (access, refresh)
    }
}
