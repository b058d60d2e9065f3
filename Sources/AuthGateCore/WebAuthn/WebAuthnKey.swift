/// A passkey's public key (WebAuthn Level 2 §5.8.5): read from the COSE
/// key of a registration, kept as DER SubjectPublicKeyInfo, and used to
/// check assertion signatures with OpenSSL. ES256 (P-256), EdDSA
/// (Ed25519) and RS256 (RSA PKCS#1 v1.5, 2048 to 4096 bits; Windows Hello's
/// TPM keys): the algorithms registration offers.
public struct WebAuthnKey: Sendable, Equatable {
    public enum Algorithm: Int64, Sendable {
        case es256 = -7
        case edDSA = -8
        case rs256 = -257

        /// The JOSE name (RFC 7518, RFC 8037), as the algorithm is shown.
        public var name: String {
            switch self {
            case .es256: return "ES256"
            case .edDSA: return "EdDSA"
            case .rs256: return "RS256"
            }
        }
    }

    public let algorithm: Algorithm
    /// DER SubjectPublicKeyInfo.
    public let spki: [UInt8]

    // The fixed DER prefixes of SubjectPublicKeyInfo for the two curves
    // (RFC 5480 id-ecPublicKey + prime256v1, uncompressed point; RFC 8410 Ed25519).
    static let p256Prefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48,
        0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04
    ]
    static let ed25519Prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// AlgorithmIdentifier rsaEncryption with NULL parameters (RFC 3279).
    static let rsaAlgorithm: [UInt8] = [
        0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00
    ]
    /// Largest RSA modulus read from a COSE key, in bytes (4096 bits), and
    /// largest public exponent (32 bits; authenticators use 65537): bounds
    /// on what one signature check can cost, whoever registered the key.
    static let maximumModulusBytes = 512
    static let maximumExponentBytes = 4

    /// The key of a COSE_Key map (RFC 9053, RFC 8230): kty 2 / alg -7 /
    /// crv 1 with 32-byte x and y, kty 1 / alg -8 / crv 6 with a 32-byte x,
    /// or kty 3 / alg -257 with n and e. OpenSSL must accept the key (a
    /// point on the curve, an RSA modulus of at least 2048 bits).
    public init(cose: CBORValue) throws(WebAuthnError) {
        guard let alg = cose[int: 3]?.intValue, let algorithm = Algorithm(rawValue: alg) else {
            throw .unsupportedAlgorithm
        }
        let kty = cose[int: 1]?.intValue
        switch algorithm {
        case .es256:
            guard kty == 2, cose[int: -1]?.intValue == 1, let x = cose[int: -2]?.bytesValue, x.count == 32,
                let y = cose[int: -3]?.bytesValue, y.count == 32
            else { throw .malformed("ES256 COSE key") }
            try self.init(spki: Self.p256Prefix + x + y, algorithm: .es256)
        case .edDSA:
            guard kty == 1, cose[int: -1]?.intValue == 6, let x = cose[int: -2]?.bytesValue, x.count == 32 else {
                throw .malformed("EdDSA COSE key")
            }
            try self.init(spki: Self.ed25519Prefix + x, algorithm: .edDSA)
        case .rs256:
            // An exponent of 1 (or any even one) is no signature scheme at all.
            guard kty == 3, let n = cose[int: -1]?.bytesValue, let e = cose[int: -2]?.bytesValue,
                n.count <= Self.maximumModulusBytes, e.count <= Self.maximumExponentBytes,
                case let exponent = e.reduce(UInt64(0), { $0 << 8 | UInt64($1) }), exponent >= 3, exponent & 1 == 1
            else { throw .malformed("RS256 COSE key") }
            try self.init(spki: Self.rsaSubjectPublicKeyInfo(modulus: n, exponent: e), algorithm: .rs256)
        }
    }

    /// DER SubjectPublicKeyInfo of an RSA key: the algorithm, then a BIT
    /// STRING holding RSAPublicKey { modulus, publicExponent } (RFC 8017).
    static func rsaSubjectPublicKeyInfo(modulus: [UInt8], exponent: [UInt8]) -> [UInt8] {
        let publicKey = DER.sequence(DER.unsignedInteger(modulus) + DER.unsignedInteger(exponent))
        return DER.sequence(rsaAlgorithm + DER.element(0x03, [0x00] + publicKey))
    }

    /// A stored key; refused unless OpenSSL reads it as the algorithm's curve.
    public init(spki: [UInt8], algorithm: Algorithm) throws(WebAuthnError) {
        guard let key = try? AsymmetricKey.subjectPublicKeyInfo(spki) else { throw .malformed("public key") }
        switch (algorithm, key.kind) {
        case (.es256, .p256), (.edDSA, .ed25519), (.rs256, .rsa): break
        default: throw .malformed("public key of another algorithm")
        }
        self.algorithm = algorithm
        self.spki = spki
    }

    /// Whether `signature` is this key's over `data`: DER ECDSA with
    /// SHA-256 for ES256, raw Ed25519 for EdDSA, PKCS#1 v1.5 with SHA-256
    /// for RS256, as authenticators sign.
    public func verifies(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        guard let key = try? AsymmetricKey.subjectPublicKeyInfo(spki) else { return false }
        return key.verify(signature, over: data, digest: algorithm == .edDSA ? nil : .sha256)
    }
}

public enum WebAuthnError: Error, Equatable, Sendable {
    case malformed(String)
    case unsupportedAlgorithm
    case unsupportedAttestation
    case wrongType
    case wrongChallenge
    case wrongOrigin
    case wrongRelyingParty
    case userNotPresent
    case userNotVerified
    case badSignature
    /// The sign counter did not move forward: a cloned authenticator.
    case counterNotIncreased
}
