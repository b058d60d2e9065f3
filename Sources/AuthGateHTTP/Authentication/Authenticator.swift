import AuthGateCore
import AuthGateStore
/// The bearer-token checks every protected route runs, in the contract's
/// order: header, signature and `alg`, claims, type, revocation, user.
/// Revocation is the token's own `jti` (logout, rotation), then its
/// refresh family (reuse), then its user's not-before (`revoke-user`).
enum Authenticator {
    /// The verified claims and their user. `kind` nil accepts either type.
    /// `onRevoked` sees a token whose own `jti` is revoked before it is
    /// refused (refresh-token reuse detection).
    /// `csrfMethod`: the method whose CSRF rule applies to a cookie-borne
    /// token, when a route changes state even on GET (logout; refresh with
    /// rotation): such a route passes "POST". Default: the request's own.
    static func authenticate(
        _ request: Request, _ context: Context, kind: Claims.Kind?, csrfMethod: String? = nil,
        onRevoked: ((Claims) throws -> Void)? = nil
    ) throws -> (Claims, UserRecord) {
        let source = try TokenSource(request, context, kind: kind, method: csrfMethod ?? request.method)
        return try authenticate(token: source.token, csrf: source.csrf, context, kind: kind, onRevoked: onRevoked)
    }

    /// The token of the `Authorization: Bearer` header, as its bytes: the
    /// header step of the contract's order.
    static func bearerToken(_ request: Request) throws(TokenError) -> [UInt8] {
        guard let header = request.headers["authorization"] else { throw TokenError.authorizationHeader }
        // Bytes, not Characters: no grapheme breaking on the hot path. One
        // copy into an array, then plain integer indices: walking the
        // String's own UTF-8 view byte by byte cost more than the rest.
        let bytes = Array(header.utf8)
        let parts = fields(bytes)
        guard let scheme = parts.first, isBearer(bytes[scheme]) else { throw TokenError.authorizationHeader }
        guard let token = parts.second, !parts.more else { throw TokenError.invalidToken }
        return Array(bytes[token])
    }

    /// The checks after the header, for a token however it was found
    /// (the header, or a cookie). `csrf`: the double-submit value a
    /// cookie-borne token must match, checked right after the claims, as
    /// Flask-JWT-Extended's `decode_token` does.
    static func authenticate(
        token: [UInt8], csrf: [UInt8]? = nil, _ context: Context, kind: Claims.Kind?,
        onRevoked: ((Claims) throws -> Void)? = nil
    ) throws -> (Claims, UserRecord) {
        let payload = try context.verifiedPayload(tokenBytes: token)
        let claims = try context.services.tokens.claims(from: payload, now: context.now)
        if let csrf { try TokenSource.check(csrf, against: claims) }
        if let kind, claims.kind != kind {
            throw kind == .access ? TokenError.accessRequired : TokenError.refreshRequired
        }
        if try context.store.isRevoked(jti: claims.jti) {
            try onRevoked?(claims)
            throw TokenError.revoked
        }
        if let family = try familyChecked(claims, context), try context.store.isFamilyRevoked(family) {
            throw TokenError.revoked
        }
        // iat is whole seconds and not-before is the first second a new
        // token may carry (see docs/admin.md, revoke semantics).
        if let notBefore = try context.store.tokensNotBefore(ofUser: claims.subject), claims.issuedAt < notBefore {
            throw TokenError.revoked
        }
        guard let user = try context.store.user(named: claims.subject) else { throw TokenError.userNotFound }
        return (claims, user)
    }

    /// The family whose revocation refuses this token: its `fam`; with
    /// token families on, a refresh token without one (Flask's, or from
    /// before) belongs to the family its successors and access tokens were
    /// given (`RefreshFamily.name`), which a session logout may revoke.
    static func familyChecked(_ claims: Claims, _ context: Context) throws -> String? {
        if let family = claims.family { return family }
        guard claims.kind == .refresh, context.config.tokenFamilies else { return nil }
        return try RefreshFamily.name(of: claims)
    }

    /// The first two fields of `bytes` split at runs of spaces and tabs
    /// (empty fields dropped), and whether a third follows: what
    /// `split(whereSeparator:)` would give, without building its array.
    static func fields(_ bytes: [UInt8]) -> (first: Range<Int>?, second: Range<Int>?, more: Bool) {
        func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        var result: (first: Range<Int>?, second: Range<Int>?, more: Bool) = (nil, nil, false)
        var start = 0
        var count = 0
        while count < 3 {
            while start < bytes.count, isBlank(bytes[start]) { start += 1 }
            if start == bytes.count { break }
            var end = start
            while end < bytes.count, !isBlank(bytes[end]) { end += 1 }
            switch count {
            case 0: result.first = start..<end
            case 1: result.second = start..<end
            default: result.more = true
            }
            count += 1
            start = end
        }
        return result
    }

    /// "Bearer" in any letter case.
    static func isBearer(_ scheme: ArraySlice<UInt8>) -> Bool {
        scheme.count == 6 && zip(scheme, "bearer".utf8).allSatisfy { $0 | 0x20 == $1 }
    }
}
