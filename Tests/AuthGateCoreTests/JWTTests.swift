import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Tokens produced by the real PyJWT 2.10 for the claims below, secret
/// "secret": AuthGate must accept them (`pyjwt`, no kid, as
/// Flask-JWT-Extended signs) and produce the same bytes (`pyjwtWithKid`,
/// PyJWT given AuthGate's kid for the key, `headers={"kid": ...}`).
@Suite struct JWTTests {
    static let claims = Claims(
        subject: "alice", kind: .access, fresh: true,
        jti: "0b1c9a52-2f4e-4a39-9d7c-1f2e3d4c5b6a",
        issuedAt: 1_700_000_000, notBefore: 1_700_000_000, expires: 1_700_000_900)
    static let pyjwt: [(JWTAlgorithm, String)] = [
        (
            .hs256,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6dHJ1ZSwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYjFjOWE1Mi0yZjRlLTRhMzktOWQ3Yy0xZjJlM2Q0YzViNmEiLCJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiYWxpY2UiLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0.J5U7hjL40YEHO0rjc-zJK0ut52uG3YP09QwK74lJ-us"
        ),
        (
            .hs384,
            "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6dHJ1ZSwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYjFjOWE1Mi0yZjRlLTRhMzktOWQ3Yy0xZjJlM2Q0YzViNmEiLCJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiYWxpY2UiLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0.FVwkdsbprgZyui1NxA3v70PoPyaCw755jnwR7KtmEJHhVXnylTK1skmVBNaPb4Oy"
        ),
        (
            .hs512,
            "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6dHJ1ZSwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYjFjOWE1Mi0yZjRlLTRhMzktOWQ3Yy0xZjJlM2Q0YzViNmEiLCJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiYWxpY2UiLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0.qwvRS2tUkKAA0Lk8Tcahc2z1gBtQJlSMa07KnqRRfxt7LEyGcSLuE_-LDGscUFlXCR9aLYtnReGv6pLc19RlpQ"
        )
    ]
    static let kid = "29WAIkzHslL4WsES"
    static let pyjwtWithKid: [(JWTAlgorithm, String)] = [
        (
            .hs256,
            "eyJhbGciOiJIUzI1NiIsImtpZCI6IjI5V0FJa3pIc2xMNFdzRVMiLCJ0eXAiOiJKV1QifQ.eyJmcmVzaCI6dHJ1ZSwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYjFjOWE1Mi0yZjRlLTRhMzktOWQ3Yy0xZjJlM2Q0YzViNmEiLCJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiYWxpY2UiLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0.6RgWQeQ79nHfpmtUnwLJr9YtWYzucJLF5X2jY0e6xvU"
        ),
        (
            .hs384,
            "eyJhbGciOiJIUzM4NCIsImtpZCI6IjI5V0FJa3pIc2xMNFdzRVMiLCJ0eXAiOiJKV1QifQ.eyJmcmVzaCI6dHJ1ZSwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYjFjOWE1Mi0yZjRlLTRhMzktOWQ3Yy0xZjJlM2Q0YzViNmEiLCJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiYWxpY2UiLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0.6Ee1GtTI0zvciGrFq5aqMmZOnXloZ3NFOQMh7NNVjqzz_npqQ5TXwgTdH8_AcjUt"
        ),
        (
            .hs512,
            "eyJhbGciOiJIUzUxMiIsImtpZCI6IjI5V0FJa3pIc2xMNFdzRVMiLCJ0eXAiOiJKV1QifQ.eyJmcmVzaCI6dHJ1ZSwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYjFjOWE1Mi0yZjRlLTRhMzktOWQ3Yy0xZjJlM2Q0YzViNmEiLCJ0eXBlIjoiYWNjZXNzIiwic3ViIjoiYWxpY2UiLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMH0.CErt1xuN-MYFQqsEtRa3zaQRjLXD1wsxsixwj0BkuszvIKKQ_99XmM0xvYeF2m9bmOnIOp7aeR0bYH0tuA81RQ"
        )
    ]
    let now = 1_700_000_100.0

    func codec(_ alg: JWTAlgorithm, leeway: Int64 = 0) throws -> JWTCodec {
        try JWTCodec(key: Array("secret".utf8), algorithm: alg, leeway: leeway)
    }

    @Test func signsExactlyLikePyJWT() throws {
        #expect(try codec(.hs256).keys.current.kid == Self.kid)
        for (alg, token) in Self.pyjwtWithKid { #expect(try codec(alg).sign(Self.claims) == token) }
    }

    @Test func verifiesPyJWTTokens() throws {
        for (alg, token) in Self.pyjwt + Self.pyjwtWithKid {
            #expect(try codec(alg).verify(token, now: now) == Self.claims)
        }
    }

    @Test func algorithmIsPinned() {
        let hs512Token = Self.pyjwt[2].1
        #expect(throws: TokenError.invalidToken) { try codec(.hs256).verify(hs512Token, now: now) }
    }

    @Test func algNoneIsRejected() {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Self.claims.json())
        #expect(throws: TokenError.invalidToken) { try codec(.hs256).verify("\(header).\(payload).", now: now) }
    }

    @Test func wrongKeyAndTamperingAreRejected() throws {
        let token = Self.pyjwt[0].1
        let other = try JWTCodec(key: Array("other".utf8), algorithm: .hs256, leeway: 0)
        #expect(throws: TokenError.invalidToken) { try other.verify(token, now: now) }
        var bytes = Array(token.utf8)
        bytes[40] = bytes[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: TokenError.invalidToken) {
            try codec(.hs256).verify(String(decoding: bytes, as: UTF8.self), now: now)
        }
    }

    @Test func expiryHonoursLeeway() throws {
        #expect(throws: TokenError.expired) { try codec(.hs256).verify(Self.pyjwt[0].1, now: 1_700_000_900) }
        _ = try codec(.hs256, leeway: 10).verify(Self.pyjwt[0].1, now: 1_700_000_905)
    }

    @Test func notBeforeInTheFutureIsInvalid() throws {
        #expect(throws: TokenError.invalidToken) { try codec(.hs256).verify(Self.pyjwt[0].1, now: 1_699_999_990) }
        _ = try codec(.hs256, leeway: 30).verify(Self.pyjwt[0].1, now: 1_699_999_990)
    }

    @Test func malformedTokensNeverTrap() {
        var rng = SplitMix(seed: 7)
        let alphabet = Array("eyJhbGciOiJIUzI1NiJ9._-=+/abcXYZ0123.".utf8)
        for junk in ["", ".", "..", "a.b.c", "a.b", "a.b.c.d", "====.====.====", "\u{0}.\u{0}.\u{0}"] {
            #expect(throws: TokenError.invalidToken) { try codec(.hs256).verify(junk, now: now) }
        }
        for _ in 0..<5000 {
            let n = Int(rng.next() % 80)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            _ = try? codec(.hs256).verify(String(decoding: bytes, as: UTF8.self), now: now)
        }
    }

    @Test func base64URLRoundTrips() {
        var rng = SplitMix(seed: 1)
        for n in 0..<64 {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(Base64URL.decode(Array(Base64URL.encode(bytes).utf8)) == bytes)
        }
        #expect(Base64URL.decode(Array("YQ==".utf8)) == nil)  // padding is not base64url
    }

    @Test func uuid4Shape() throws {
        let id = try UUID4.make()
        let chars = Array(id)
        #expect(chars.count == 36 && chars[14] == "4" && "89ab".contains(chars[19]))
    }
}

@Suite struct Base64URLStrictnessTests {
    @Test func nonCanonicalTrailingBitsAreRejected() {
        // "QQ" is "A"; "QR" differs only in bits that carry no data.
        #expect(Base64URL.decode(Array("QQ".utf8)) == [0x41])
        #expect(Base64URL.decode(Array("QR".utf8)) == nil)
    }
}
