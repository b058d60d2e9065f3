/// A passkey's public key (WebAuthn Level 2 §5.8.5): read from the COSE
/// key of a registration, kept as DER SubjectPublicKeyInfo, and used to
/// check assertion signatures with OpenSSL. ES256 (P-256) and EdDSA
/// (Ed25519) only: the algorithms registration offers.
public struct WebAuthnKey: Sendable, Equatable {
    public enum Algorithm: Int64, Sendable {
        case es256 = -7
        case edDSA = -8
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

    /// The key of a COSE_Key map (RFC 9053): kty 2 / alg -7 / crv 1 with
    /// 32-byte x and y, or kty 1 / alg -8 / crv 6 with a 32-byte x. The
    /// point must be one OpenSSL accepts (on the curve).
    public init(cose: CBORValue) throws(WebAuthnError) {
        guard let alg = cose[int: 3]?.intValue, let algorithm = Algorithm(rawValue: alg) else {
            throw .unsupportedAlgorithm
        }
        let kty = cose[int: 1]?.intValue
        let crv = cose[int: -1]?.intValue
        guard let x = cose[int: -2]?.bytesValue, x.count == 32 else { throw .malformed("COSE key x") }
        switch algorithm {
        case .es256:
            guard kty == 2, crv == 1, let y = cose[int: -3]?.bytesValue, y.count == 32 else {
                throw .malformed("ES256 COSE key")
            }
            try self.init(spki: Self.p256Prefix + x + y, algorithm: .es256)
        case .edDSA:
            guard kty == 1, crv == 6 else { throw .malformed("EdDSA COSE key") }
            try self.init(spki: Self.ed25519Prefix + x, algorithm: .edDSA)
        }
    }

    /// A stored key; refused unless OpenSSL reads it as the algorithm's curve.
    public init(spki: [UInt8], algorithm: Algorithm) throws(WebAuthnError) {
        guard let key = try? AsymmetricKey.subjectPublicKeyInfo(spki) else { throw .malformed("public key") }
        switch (algorithm, key.kind) {
        case (.es256, .p256), (.edDSA, .ed25519): break
        default: throw .malformed("public key of another algorithm")
        }
        self.algorithm = algorithm
        self.spki = spki
    }

    /// Whether `signature` is this key's over `data`: DER ECDSA with
    /// SHA-256 for ES256, raw Ed25519 for EdDSA, as authenticators sign.
    public func verifies(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        guard let key = try? AsymmetricKey.subjectPublicKeyInfo(spki) else { return false }
        return key.verify(signature, over: data, digest: algorithm == .es256 ? .sha256 : nil)
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
