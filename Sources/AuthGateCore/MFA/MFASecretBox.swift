/// Seals TOTP secrets at rest with AES-256-GCM, so a copy of the database
/// alone does not yield the second factors. Each sealed value is bound to its
/// user (the context is GCM's additional authenticated data): a secret copied
/// onto another user's row fails to open instead of working there.
///
/// Layout: version (0x01) | 12-byte random nonce | ciphertext | 16-byte tag.
/// The version byte lets a later format or key coexist with this one.
public struct MFASecretBox: Sendable {
    static let version: UInt8 = 0x01
    static let keyLabel = Array("authgate-mfa-secret-box-v1".utf8)
    static let recoveryLabel = Array("authgate-mfa-recovery-v1".utf8)
    static let overhead = 1 + Crypto.AESGCM.nonceBytes + Crypto.AESGCM.tagBytes

    private let key: [UInt8]
    /// The HMAC key for recovery-code digests (`RecoveryCodes.digest`),
    /// derived from the box key under its own label so the two never coincide.
    public let recoveryKey: [UInt8]

    /// A box over a 32-byte AES-256 key; any other length throws.
    public init(key: [UInt8]) throws {
        guard key.count == Crypto.AESGCM.keyBytes else { throw MFASecretBoxError.keyLength(key.count) }
        self.key = key
        self.recoveryKey = try Crypto.hmac(.sha256, key: key, data: Self.recoveryLabel)
    }

    /// A box keyed by HMAC-SHA256(server secret, "authgate-mfa-secret-box-v1").
    /// The label separates domains: the JWT signing key itself never encrypts,
    /// and nothing sealed here can be confused with a token signature.
    public static func derive(fromServerSecret secret: [UInt8]) throws -> MFASecretBox {
        // An empty secret would derive a key anyone can compute.
        guard !secret.isEmpty else { throw MFASecretBoxError.emptyServerSecret }
        return try MFASecretBox(key: Crypto.hmac(.sha256, key: secret, data: keyLabel))
    }

    /// `plaintext` encrypted under a fresh random nonce and bound to `context`
    /// (the user id's bytes). A random 96-bit nonce per seal keeps GCM's nonce
    /// uniqueness far beyond any plausible number of enrolments.
    public func seal(_ plaintext: [UInt8], boundTo context: [UInt8]) throws -> [UInt8] {
        let nonce = try Crypto.randomBytes(Crypto.AESGCM.nonceBytes)
        let (ciphertext, tag) = try Crypto.AESGCM.seal(plaintext, key: key, nonce: nonce, aad: context)
        return [Self.version] + nonce + ciphertext + tag
    }

    /// The plaintext, or nil for anything that is not a value this key sealed
    /// for `context`: an unknown version, input too short, a changed byte or
    /// another context. Safe on arbitrary bytes.
    public func open(_ sealed: [UInt8], boundTo context: [UInt8]) -> [UInt8]? {
        guard sealed.count >= Self.overhead, sealed.first == Self.version else { return nil }
        let nonceEnd = 1 + Crypto.AESGCM.nonceBytes
        let tagStart = sealed.count - Crypto.AESGCM.tagBytes
        return Crypto.AESGCM.open(
            ciphertext: Array(sealed[nonceEnd..<tagStart]), tag: Array(sealed[tagStart...]), key: key,
            nonce: Array(sealed[1..<nonceEnd]), aad: context)
    }
}

/// Why an `MFASecretBox` could not be made.
public enum MFASecretBoxError: Error, Equatable, Sendable {
    /// The key was this many bytes, not 32.
    case keyLength(Int)
    case emptyServerSecret
}
