import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Contract v1.1 token rules: a `crit` header is refused whatever it
/// names, and a `jti` the blocklist could not store is refused up front.
@Suite struct TokenHeaderAndJTITests {
    static let key = Array("secret".utf8)
    let codec: JWTCodec
    init() throws { codec = try JWTCodec(key: Self.key, algorithm: .hs256, leeway: 0) }
    let now = 1_700_000_100.0

    /// HS256 over a raw header and payload, as a forger would sign them.
    func signRaw(header: String, payload: String) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(try Crypto.hmac(.sha256, key: Self.key, data: Array(input.utf8)))
    }

    func payload(jti: String) -> String {
        String(
            decoding: Claims(
                subject: "alice", kind: .access, fresh: false, jti: jti, issuedAt: 1_700_000_000,
                notBefore: 1_700_000_000, expires: 1_700_000_900
            ).json(), as: UTF8.self)
    }

    @Test func headerWithoutCritAndWithOtherParametersIsAccepted() throws {
        let kid = codec.keys.current.kid
        let token = try signRaw(
            header: #"{"alg":"HS256","typ":"JWT","kid":"\#(kid)","x-extra":1}"#, payload: payload(jti: "j"))
        #expect(try codec.verify(token, now: now).jti == "j")
    }

    @Test(arguments: [#"["exp"]"#, #"["b64"]"#, "[]", #""exp""#, "null", "{}", "true"])
    func anyCritHeaderIsInvalid(crit: String) throws {
        let token = try signRaw(header: #"{"alg":"HS256","typ":"JWT","crit":\#(crit)}"#, payload: payload(jti: "j"))
        #expect(throws: TokenError.invalidToken) { try codec.verify(token, now: now) }
    }

    @Test func critSpelledWithAnEscapeIsStillCrit() throws {
        let token = try signRaw(header: #"{"alg":"HS256","c\u0072it":["exp"]}"#, payload: payload(jti: "j"))
        #expect(throws: TokenError.invalidToken) { try codec.verify(token, now: now) }
    }

    @Test func jtiUpToTheLimitIsAccepted() throws {
        let longest = String(repeating: "a", count: Claims.maxJTIBytes)
        #expect(try codec.verify(try codec.sign(claims(jti: longest)), now: now).jti == longest)
        let wide = String(repeating: "é", count: Claims.maxJTIBytes / 2)  // two bytes each
        #expect(try codec.verify(try codec.sign(claims(jti: wide)), now: now).jti == wide)
    }

    @Test(arguments: [
        String(repeating: "a", count: Claims.maxJTIBytes + 1),
        String(repeating: "a", count: 3000),
        String(repeating: "é", count: Claims.maxJTIBytes / 2 + 1),  // counted in bytes, not characters
        "abc\u{0}def"
    ])
    func unstorableJTIIsInvalid(jti: String) throws {
        let token = try codec.sign(claims(jti: jti))
        #expect(throws: TokenError.invalidToken) { try codec.verify(token, now: now) }
    }

    func claims(jti: String) -> Claims {
        Claims(
            subject: "alice", kind: .access, fresh: false, jti: jti, issuedAt: 1_700_000_000,
            notBefore: 1_700_000_000, expires: 1_700_000_900)
    }
}
