/// HMAC-signed compact JWS (RFC 7515) with Flask-JWT-Extended's claims.
/// The algorithm is pinned by configuration: a token is verified only with
/// it, whatever its header says.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"

    var digest: Crypto.Digest {
        switch self {
        case .hs256: return .sha256
        case .hs384: return .sha384
        case .hs512: return .sha512
        }
    }
}
