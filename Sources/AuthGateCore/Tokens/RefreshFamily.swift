/// The login a refresh token descends from, under refresh rotation
/// (docs/refresh-rotation.md): its family, which reuse detection revokes,
/// and its login time, from which the family's absolute lifetime counts.
public enum RefreshFamily {
    /// Prefix of a family derived from a token that carries no `fam`.
    static let derivedPrefix = "j:"

    /// The token's `fam`; for a token without one (issued with rotation
    /// off, or by the Flask application) a name derived from its `jti`, so
    /// its successors and a later reuse of it agree on one family.
    public static func name(of claims: Claims) throws -> String {
        if let family = claims.family { return family }
        return derivedPrefix + Hex.encode(try Crypto.sha256(Array(claims.jti.utf8)))
    }

    /// `auth_time` when the token carries it; else its `iat`, the earliest
    /// moment known of a login made before the claim was written.
    public static func loginTime(of claims: Claims) -> Int64 {
        claims.authTime ?? claims.issuedAt
    }

    /// The moment (seconds since the epoch) past which no refresh token of
    /// the family is honoured: login time plus `maxAge`. Saturates instead
    /// of trapping on a hostile `iat`.
    public static func deadline(of claims: Claims, maxAge: Int64) -> Double {
        Double(loginTime(of: claims)) + Double(maxAge)
    }
}
