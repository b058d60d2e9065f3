/// One key of the ring: the algorithm it is pinned to, its `kid`, and the
/// secret or the OpenSSL key that signs or checks signatures.
public struct JWTKey: Sendable {
    enum Material: Sendable {
        case secret([UInt8])
        case asymmetric(AsymmetricKey)
    }

    public let kid: String
    public let algorithm: JWTAlgorithm
    let material: Material

    /// Label MACed with an HMAC key to name it: the `kid` tells keys apart
    /// without revealing anything about the key.
    static let hmacKidLabel = Array("AuthGate JWT key id v1".utf8)

    /// An HMAC key under `algorithm` (HS256, HS384 or HS512); its kid is
    /// the first 12 bytes of HMAC-SHA256(key, label), base64url.
    init(secret: [UInt8], algorithm: JWTAlgorithm) throws {
        precondition(algorithm.isHMAC, "a secret signs only with an HMAC algorithm")
        self.algorithm = algorithm
        self.material = .secret(secret)
        self.kid = Base64URL.encode(try Crypto.hmac(.sha256, key: secret, data: JWTKey.hmacKidLabel).prefix(12))
    }

    /// An asymmetric key, pinned to the one algorithm its type signs with;
    /// its kid is its RFC 7638 JWK thumbprint.
    init(_ key: AsymmetricKey) throws {
        self.algorithm = JWTAlgorithm.forKey(key.kind)
        self.material = .asymmetric(key)
        self.kid = try JWK.thumbprint(of: key)
    }

    var asymmetricKey: AsymmetricKey? {
        if case .asymmetric(let key) = material { return key }
        return nil
    }

    /// The JWS signature over `input` (raw `r || s` for ES256).
    func sign(_ input: [UInt8]) throws -> [UInt8] {
        switch material {
        case .secret(let secret):
            return try Crypto.hmac(algorithm.digest ?? .sha256, key: secret, data: input)
        case .asymmetric(let key):
            let signature = try key.sign(input, digest: algorithm.digest)
            guard algorithm == .es256 else { return signature }
            guard let raw = ECDSASignature.raw(fromDER: signature) else { throw OpenSSLError.call("i2d_ECDSA_SIG", 0) }
            return raw
        }
    }

    /// Whether `signature` is this key's over `input`.
    func verifies(_ signature: [UInt8], over input: [UInt8]) -> Bool {
        switch material {
        case .secret(let secret):
            guard let expected = try? Crypto.hmac(algorithm.digest ?? .sha256, key: secret, data: input) else {
                return false
            }
            return Crypto.constantTimeEqual(expected, signature)
        case .asymmetric(let key):
            if algorithm == .es256 {
                guard let der = ECDSASignature.der(fromRaw: signature) else { return false }
                return key.verify(der, over: input, digest: algorithm.digest)
            }
            return key.verify(signature, over: input, digest: algorithm.digest)
        }
    }
}
