internal import COpenSSL

/// A public or private key (an OpenSSL `EVP_PKEY`) parsed once from PEM at
/// start-up and then shared read-only by every thread: OpenSSL 3 keys may
/// be used concurrently, each operation with a context of its own.
final class AsymmetricKey: @unchecked Sendable {
    enum Kind: Sendable, Equatable {
        case ed25519
        /// ECDSA on NIST P-256 (prime256v1).
        case p256
        case rsa(bits: Int)
    }

    enum LoadError: Error, Equatable, CustomStringConvertible {
        case unreadable
        case unsupported(String)

        var description: String {
            switch self {
            case .unreadable: return "not a PEM key OpenSSL can read (an encrypted key is not supported)"
            case .unsupported(let what): return what
            }
        }
    }

    /// Smallest RSA modulus accepted, in bits (NIST SP 800-131A).
    static let minimumRSABits = 2048

    private let pkey: OpaquePointer
    let kind: Kind

    private init(_ pkey: OpaquePointer) throws(LoadError) {
        self.pkey = pkey
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_ED25519:
            kind = .ed25519
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else {
                EVP_PKEY_free(pkey)
                throw .unsupported("an EC key without a named curve")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" || curve == "P-256" else {
                EVP_PKEY_free(pkey)
                throw .unsupported("an EC key on \(curve); ES256 needs P-256 (prime256v1)")
            }
            kind = .p256
        case EVP_PKEY_RSA:
            let bits = Int(EVP_PKEY_get_bits(pkey))
            guard bits >= AsymmetricKey.minimumRSABits else {
                EVP_PKEY_free(pkey)
                throw .unsupported("an RSA key of \(bits) bits; at least \(AsymmetricKey.minimumRSABits) are needed")
            }
            kind = .rsa(bits: bits)
        default:
            EVP_PKEY_free(pkey)
            throw .unsupported("a key type other than Ed25519, EC P-256 or RSA")
        }
    }

    deinit { EVP_PKEY_free(pkey) }

    /// A private key from one PEM block (PKCS#8, or the traditional RSA
    /// and EC forms). Never prompts for a passphrase.
    static func privateKey(pem: [UInt8]) throws(LoadError) -> AsymmetricKey {
        guard let pkey = read(pem, { bio in PEM_read_bio_PrivateKey(bio, nil, refusePassphrase, nil) }) else {
            throw .unreadable
        }
        return try AsymmetricKey(pkey)
    }

    /// A public key from one PEM block (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo).
    static func publicKey(pem: [UInt8]) throws(LoadError) -> AsymmetricKey {
        guard let pkey = read(pem, { bio in PEM_read_bio_PUBKEY(bio, nil, refusePassphrase, nil) }) else {
            throw .unreadable
        }
        return try AsymmetricKey(pkey)
    }

    /// A public key from DER SubjectPublicKeyInfo (a WebAuthn credential's,
    /// as `WebAuthnKey` builds and stores it).
    static func subjectPublicKeyInfo(_ der: [UInt8]) throws(LoadError) -> AsymmetricKey {
        guard let pkey = read(der, { bio in d2i_PUBKEY_bio(bio, nil) }) else { throw .unreadable }
        return try AsymmetricKey(pkey)
    }

    private static func read(_ pem: [UInt8], _ parse: (OpaquePointer?) -> OpaquePointer?) -> OpaquePointer? {
        defer { ERR_clear_error() }
        return pem.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return parse(bio)
        }
    }

    /// Whether `other` is the same public key (a private key's public half included).
    func hasSamePublicKey(as other: AsymmetricKey) -> Bool {
        EVP_PKEY_eq(pkey, other.pkey) == 1
    }

    /// The signature of `data`: raw Ed25519, DER ECDSA, or PKCS#1 v1.5
    /// RSA, with `digest` (nil for Ed25519, which hashes by itself).
    func sign(_ data: [UInt8], digest: Crypto.Digest?) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw Crypto.fail("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, digest?.md, nil, pkey) == 1 else { throw Crypto.fail("EVP_DigestSignInit") }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, data, data.count) == 1 else { throw Crypto.fail("EVP_DigestSign") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, data, data.count) == 1 else {
            throw Crypto.fail("EVP_DigestSign")
        }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` (in `sign`'s form) is this key's over `data`.
    func verify(_ signature: [UInt8], over data: [UInt8], digest: Crypto.Digest?) -> Bool {
        // A failed check leaves errors on this thread's queue: drop them.
        defer { ERR_clear_error() }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, digest?.md, nil, pkey) == 1 else { return false }
        return EVP_DigestVerify(ctx, signature, signature.count, data, data.count) == 1
    }

    /// The raw 32-byte Ed25519 public key.
    func rawPublicKey() -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 32)
        var length = out.count
        guard EVP_PKEY_get_raw_public_key(pkey, &out, &length) == 1, length == 32 else { return nil }
        return out
    }

    /// A big-number parameter (`n`, `e`, `qx`, `qy`) as big-endian bytes,
    /// left-padded to `width` when given, else minimal.
    func parameter(_ name: String, width: Int? = nil) -> [UInt8]? {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else { return nil }
        defer { BN_free(bn) }
        let size = width ?? Int((BN_num_bits(bn) + 7) / 8)
        var out = [UInt8](repeating: 0, count: size)
        guard BN_bn2binpad(bn, &out, Int32(size)) == Int32(size) else { return nil }
        return out
    }
}

/// The passphrase callback: none is ever asked for (OpenSSL's default
/// would prompt on the terminal for an encrypted key).
private func refusePassphrase(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ rwflag: Int32,
    _ userdata: UnsafeMutableRawPointer?
) -> Int32 { -1 }
