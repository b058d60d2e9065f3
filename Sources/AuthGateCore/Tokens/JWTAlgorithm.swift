/// The JWS algorithms AuthGate signs and verifies with, spelled as in a
/// token's `alg` header and Flask-JWT-Extended's `JWT_ALGORITHM`.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    case rs256 = "RS256", es256 = "ES256", edDSA = "EdDSA"

    /// An HMAC algorithm: its key is a shared secret, never published.
    public var isHMAC: Bool {
        switch self {
        case .hs256, .hs384, .hs512: return true
        case .rs256, .es256, .edDSA: return false
        }
    }

    /// The hash the signature is computed over; nil for EdDSA, which hashes by itself.
    var digest: Crypto.Digest? {
        switch self {
        case .hs256, .rs256, .es256: return .sha256
        case .hs384: return .sha384
        case .hs512: return .sha512
        case .edDSA: return nil
        }
    }

    /// The algorithm an asymmetric key of `kind` signs with.
    static func forKey(_ kind: AsymmetricKey.Kind) -> JWTAlgorithm {
        switch kind {
        case .ed25519: return .edDSA
        case .p256: return .es256
        case .rsa: return .rs256
        }
    }
}
