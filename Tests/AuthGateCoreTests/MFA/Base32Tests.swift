import Testing
@testable import AuthGateCore

/// RFC 4648 base32, as authenticator apps read TOTP secrets.
@Suite struct Base32Tests {
    /// RFC 4648 §10, without the padding AuthGate never writes.
    static let vectors = [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI")
    ]

    @Test(arguments: vectors)
    func rfc4648VectorsEncode(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
    }

    @Test(arguments: vectors)
    func rfc4648VectorsDecode(plain: String, encoded: String) {
        #expect(Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.decode(encoded.lowercased()) == Array(plain.utf8))
    }

    @Test func paddingAndSpacesAreIgnored() {
        #expect(Base32.decode("MY======") == Array("f".utf8))
        #expect(Base32.decode("MZXW6YQ=") == Array("foob".utf8))
        #expect(Base32.decode("mzxw 6ytb oi") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW6YTBOI== ") == Array("foobar".utf8))
    }

    @Test(arguments: ["MZXW6!", "MZXW0", "MZXW1", "MZXW8", "MY=A", "=MY", "MZ-XQ", "MZ\tXQ", "MZXQé", "MZXQ\0"])
    func anyOtherCharacterIsRefused(text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test func aWholeUnusedCharacterIsRefusedButStrayBitsAreNot() {
        for text in ["M", "MZX", "MZXW6Y"] { #expect(Base32.decode(text) == nil, "\(text)") }
        // "MY" is "f" with the 2 trailing bits zero; "MZ" and "M3" set them, which pyotp and
        // Google Authenticator ignore too.
        #expect(Base32.decode("MZ") == Array("f".utf8))
        #expect(Base32.decode("M3") == Array("f".utf8))
    }

    @Test func randomBytesRoundTrip() throws {
        for count in 0..<41 {
            let bytes = try Crypto.randomBytes(count)
            let text = Base32.encode(bytes)
            #expect(!text.contains("="))
            #expect(Base32.decode(text) == bytes)
        }
    }
}
