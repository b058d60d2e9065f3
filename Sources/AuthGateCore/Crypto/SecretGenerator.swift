/// Fresh signing secrets for `authgate gen-secret`, from OpenSSL's CSPRNG.
public enum SecretGenerator {
    /// 32 bytes: HS256's block-size recommendation (RFC 7518 §3.2) and more.
    public static let defaultBytes = 32

    public enum Encoding: String, CaseIterable, Sendable { case base64url, hex }

    /// `bytes` random bytes, as unpadded URL-safe base64 or lower-case hex.
    public static func make(bytes: Int = defaultBytes, encoding: Encoding = .base64url) throws -> String {
        let random = try Crypto.randomBytes(bytes)
        switch encoding {
        case .base64url: return Base64URL.encode(random)
        case .hex: return Hex.encode(random)
        }
    }
}
