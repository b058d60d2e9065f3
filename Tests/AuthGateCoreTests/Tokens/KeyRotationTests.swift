import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// HMAC keys: every token names its key (`kid`), previous keys keep
/// verifying after a rotation, an unknown kid is only a hint.
@Suite struct KeyRotationTests {
    let now = 1_700_000_100.0
    static let old = Array("the-old-signing-key-of-32-bytes!".utf8)
    static let new = Array("the-new-signing-key-of-32-bytes!".utf8)

    func codec(_ current: [UInt8], previous: [[UInt8]] = [], algorithm: JWTAlgorithm = .hs256) throws -> JWTCodec {
        let ring = try KeyRing(
            current: JWTKey(secret: current, algorithm: algorithm),
            previous: previous.map { try JWTKey(secret: $0, algorithm: algorithm) })
        return JWTCodec(keys: ring, leeway: 0)
    }

    func claims(_ jti: String = "j") -> Claims {
        Claims(
            subject: "alice", kind: .access, fresh: false, jti: jti, issuedAt: 1_700_000_000,
            notBefore: 1_700_000_000, expires: 1_700_000_900)
    }

    func header(of token: String) throws -> [String: JSONValue] {
        let head = try #require(token.split(separator: ".").first)
        guard case .object(let members) = try JSONParser.parse(try #require(Base64URL.decode(Array(head.utf8)))) else {
            Issue.record("header is not an object")
            return [:]
        }
        return members
    }

    /// HS256 over `header` JSON, as another issuer would sign.
    func sign(header: String, key: [UInt8], claims: Claims) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(claims.json())
        return input + "." + Base64URL.encode(try Crypto.hmac(.sha256, key: key, data: Array(input.utf8)))
    }

    @Test func everyTokenNamesTheCurrentKey() throws {
        let c = try codec(Self.new, previous: [Self.old])
        let h = try header(of: try c.sign(claims()))
        #expect(h["kid"] == .string(c.keys.current.kid))
        #expect(h["alg"] == .string("HS256") && h["typ"] == .string("JWT"))
    }

    @Test func hmacKidIsStableDistinctAndRevealsNoKey() throws {
        let a = try JWTKey(secret: Self.old, algorithm: .hs256)
        #expect(try JWTKey(secret: Self.old, algorithm: .hs256).kid == a.kid)
        #expect(try JWTKey(secret: Self.new, algorithm: .hs256).kid != a.kid)
        #expect(a.kid.utf8.count == 16)
        let text = String(decoding: Self.old, as: UTF8.self)
        #expect(!a.kid.contains(text.prefix(4)) && !text.contains(a.kid))
        // Not a plain hash of the key either: the label is MACed with it.
        #expect(a.kid != Base64URL.encode(try Crypto.sha256(Self.old).prefix(12)))
    }

    @Test func tokensOfThePreviousKeyVerifyWithAndWithoutKid() throws {
        let before = try codec(Self.old)
        let issuedBefore = try before.sign(claims("before"))
        // The Flask service's tokens carry no kid.
        let flask = try sign(header: #"{"alg":"HS256","typ":"JWT"}"#, key: Self.old, claims: claims("flask"))
        let after = try codec(Self.new, previous: [Self.old])
        #expect(try after.verify(issuedBefore, now: now).jti == "before")
        #expect(try after.verify(flask, now: now).jti == "flask")
        #expect(try after.verify(try after.sign(claims("new")), now: now).jti == "new")
        // New tokens name the new key, which the old configuration does not know.
        #expect(throws: TokenError.invalidToken) { try before.verify(try after.sign(claims()), now: now) }
    }

    @Test func afterThePreviousKeyIsDroppedItsTokensAreInvalid() throws {
        let issuedBefore = try codec(Self.old).sign(claims())
        let flask = try sign(header: #"{"alg":"HS256","typ":"JWT"}"#, key: Self.old, claims: claims())
        let dropped = try codec(Self.new)
        #expect(throws: TokenError.invalidToken) { try dropped.verify(issuedBefore, now: now) }
        #expect(throws: TokenError.invalidToken) { try dropped.verify(flask, now: now) }
    }

    /// A kid naming no key is a hint (PyJWT ignores it): tried as no kid.
    @Test func anUnknownKidIsTriedLikeNoKid() throws {
        let c = try codec(Self.new, previous: [Self.old])
        for key in [Self.new, Self.old] {
            let token = try sign(header: #"{"alg":"HS256","kid":"flask-key","typ":"JWT"}"#, key: key, claims: claims())
            #expect(try c.verify(token, now: now).subject == "alice")
        }
        let dropped = try sign(
            header: #"{"alg":"HS256","kid":"nope","typ":"JWT"}"#, key: Array("a-key-nobody-configured".utf8),
            claims: claims())
        #expect(throws: TokenError.invalidToken) { try c.verify(dropped, now: now) }
    }

    @Test func aKidNamesTheOneKeyTried() throws {
        let c = try codec(Self.new, previous: [Self.old])
        let oldKid = try JWTKey(secret: Self.old, algorithm: .hs256).kid
        // Signed by the current key but naming the previous one.
        let token = try sign(
            header: #"{"alg":"HS256","kid":"\#(oldKid)","typ":"JWT"}"#, key: Self.new, claims: claims())
        #expect(throws: TokenError.invalidToken) { try c.verify(token, now: now) }
    }

    @Test(arguments: ["1", "null", "[]", #"{"k":1}"#, "true"])
    func aKidThatIsNotAStringIsInvalid(kid: String) throws {
        let c = try codec(Self.new)
        let token = try sign(header: #"{"alg":"HS256","kid":\#(kid),"typ":"JWT"}"#, key: Self.new, claims: claims())
        #expect(throws: TokenError.invalidToken) { try c.verify(token, now: now) }
    }

    @Test func aKeyVerifiesOnlyUnderItsOwnAlgorithm() throws {
        let c = try codec(Self.new, algorithm: .hs384)
        let kid = c.keys.current.kid
        let hs256 = try sign(header: #"{"alg":"HS256","kid":"\#(kid)","typ":"JWT"}"#, key: Self.new, claims: claims())
        #expect(throws: TokenError.invalidToken) { try c.verify(hs256, now: now) }
        let noKid = try sign(header: #"{"alg":"HS256","typ":"JWT"}"#, key: Self.new, claims: claims())
        #expect(throws: TokenError.invalidToken) { try c.verify(noKid, now: now) }
    }

    @Test func theCurrentKeyListedAgainAsPreviousIsKeptOnce() throws {
        let c = try codec(Self.new, previous: [Self.new, Self.old])
        #expect(
            c.keys.verifying.map(\.kid) == [c.keys.current.kid, try JWTKey(secret: Self.old, algorithm: .hs256).kid])
    }

    @Test func hmacKeysNeverAppearInTheKeySet() throws {
        let c = try codec(Self.new, previous: [Self.old])
        #expect(String(decoding: c.keys.jwks, as: UTF8.self) == #"{"keys":[]}"#)
    }
}
