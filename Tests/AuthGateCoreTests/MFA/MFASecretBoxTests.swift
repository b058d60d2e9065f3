import Testing
@testable import AuthGateCore

/// AES-256-GCM sealing of TOTP secrets, bound to the user.
@Suite struct MFASecretBoxTests {
    static let secret = Array("12345678901234567890".utf8)
    static let user = Array("42".utf8)

    func box() throws -> MFASecretBox { try MFASecretBox.derive(fromServerSecret: Array("server secret".utf8)) }

    @Test func sealedSecretsOpenForTheirUser() throws {
        let box = try box()
        let sealed = try box.seal(Self.secret, boundTo: Self.user)
        #expect(sealed.count == 1 + 12 + Self.secret.count + 16)
        #expect(sealed[0] == 0x01)
        #expect(box.open(sealed, boundTo: Self.user) == Self.secret)
        let empty = try box.seal([], boundTo: [])
        #expect(box.open(empty, boundTo: []) == [])
    }

    @Test func anotherUserOrKeyCannotOpen() throws {
        let sealed = try box().seal(Self.secret, boundTo: Self.user)
        #expect(try box().open(sealed, boundTo: Array("43".utf8)) == nil)
        #expect(try box().open(sealed, boundTo: []) == nil)
        let other = try MFASecretBox.derive(fromServerSecret: Array("another secret".utf8))
        #expect(other.open(sealed, boundTo: Self.user) == nil)
    }

    /// Version byte, nonce, ciphertext and tag: a change in any refuses the whole.
    @Test(arguments: [0, 1, 12, 13, 13 + 19, 13 + 20, 13 + 20 + 15])
    func aFlippedByteAnywhereIsRefused(index: Int) throws {
        let box = try box()
        var sealed = try box.seal(Self.secret, boundTo: Self.user)
        sealed[index] ^= 0x01
        #expect(box.open(sealed, boundTo: Self.user) == nil)
    }

    @Test func truncatedOrArbitraryInputIsRefused() throws {
        let box = try box()
        let sealed = try box.seal(Self.secret, boundTo: Self.user)
        for length in 0..<sealed.count {
            #expect(box.open(Array(sealed.prefix(length)), boundTo: Self.user) == nil, "\(length)")
        }
        #expect(box.open(Array(sealed.dropFirst()), boundTo: Self.user) == nil)
        for length in [0, 1, 28, 29, 64] {
            #expect(box.open([0x01] + (try Crypto.randomBytes(length)), boundTo: Self.user) == nil)
        }
    }

    @Test func eachSealUsesAFreshNonce() throws {
        let box = try box()
        let a = try box.seal(Self.secret, boundTo: Self.user)
        let b = try box.seal(Self.secret, boundTo: Self.user)
        #expect(a != b)
        #expect(a[1..<13] != b[1..<13])
    }

    @Test func keysMustBe32Bytes() throws {
        for length in [0, 16, 31, 33, 64] {
            #expect(throws: MFASecretBoxError.keyLength(length)) {
                try MFASecretBox(key: [UInt8](repeating: 7, count: length))
            }
        }
        #expect(throws: MFASecretBoxError.emptyServerSecret) { try MFASecretBox.derive(fromServerSecret: []) }
        let box = try MFASecretBox(key: [UInt8](repeating: 7, count: 32))
        #expect(box.open(try box.seal(Self.secret, boundTo: Self.user), boundTo: Self.user) == Self.secret)
    }

    /// A value sealed by Python's `cryptography` (AESGCM) under the derived key, so the layout
    /// (version | nonce | ciphertext | tag) and the derivation are pinned, not only self-consistent.
    @Test func aValueSealedElsewhereWithTheSameLayoutOpens() throws {
        let hex = "01000102030405060708090a0bd71c0a8e7a07ea89b16d96ab7e5441baf1131a9977794bfaa80e6e81e99ad986155c21b9"
        let sealed = try #require(Self.bytes(hex: hex))
        #expect(try box().open(sealed, boundTo: Self.user) == Self.secret)
    }

    /// McGrew and Viega's GCM test cases 13 and 14 (AES-256, zero key and IV).
    @Test func aesGCMKnownAnswers() throws {
        let key = [UInt8](repeating: 0, count: 32), nonce = [UInt8](repeating: 0, count: 12)
        let empty = try Crypto.AESGCM.seal([], key: key, nonce: nonce, aad: [])
        #expect(empty.ciphertext.isEmpty && Hex.encode(empty.tag) == "530f8afbc74536b9a963b4f1c4cb738b")
        let block = try Crypto.AESGCM.seal([UInt8](repeating: 0, count: 16), key: key, nonce: nonce, aad: [])
        #expect(Hex.encode(block.ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(Hex.encode(block.tag) == "d0d1c8a799996bf0265b98b5d48ab919")
        let opened = Crypto.AESGCM.open(ciphertext: block.ciphertext, tag: block.tag, key: key, nonce: nonce, aad: [])
        #expect(opened == [UInt8](repeating: 0, count: 16))
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = PercentDecoding.hexValue(digits[i]), let low = PercentDecoding.hexValue(digits[i + 1])
            else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    /// The derivation is HMAC-SHA256 under fixed labels, so it is stable across restarts and releases.
    @Test func derivedKeysAreDomainSeparated() throws {
        let serverSecret = Array("server secret".utf8)
        let key = try Crypto.hmac(.sha256, key: serverSecret, data: Array("authgate-mfa-secret-box-v1".utf8))
        let direct = try MFASecretBox(key: key)
        let derived = try box()
        #expect(direct.open(try derived.seal(Self.secret, boundTo: Self.user), boundTo: Self.user) == Self.secret)
        #expect(
            derived.recoveryKey == (try Crypto.hmac(.sha256, key: key, data: Array("authgate-mfa-recovery-v1".utf8))))
        #expect(derived.recoveryKey.count == 32)
        #expect(derived.recoveryKey != key)
    }
}
