import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// The `fam` claim: written only when set (tokens stay Flask's otherwise),
/// read back, and refused when it could not be stored.
@Suite struct FamilyClaimTests {
    let codec: JWTCodec

    init() throws { codec = try JWTCodec(key: Array(TestApp.secret.utf8), algorithm: .hs256, leeway: 0) }

    func claims(_ family: String?) -> Claims {
        Claims(
            subject: "alice", kind: .refresh, fresh: false, jti: "j", issuedAt: Int64(TestApp.now),
            notBefore: Int64(TestApp.now), expires: TestApp.now + 900, family: family)
    }

    @Test func writtenOnlyWhenSet() throws {
        #expect(!String(decoding: claims(nil).json(), as: UTF8.self).contains("fam"))
        #expect(String(decoding: claims("f-1").json(), as: UTF8.self).contains(#""fam":"f-1""#))
        #expect(try codec.verify(codec.sign(claims("f-1")), now: TestApp.now).family == "f-1")
        #expect(try codec.verify(codec.sign(claims(nil)), now: TestApp.now).family == nil)
    }

    @Test func theLoginTimeIsWrittenOnlyWhenSetAndReadBack() throws {
        var withTime = claims("f-1")
        withTime.authTime = 1_700_000_000
        #expect(!String(decoding: claims("f-1").json(), as: UTF8.self).contains("auth_time"))
        #expect(String(decoding: withTime.json(), as: UTF8.self).contains(#""auth_time":1700000000"#))
        #expect(try codec.verify(codec.sign(withTime), now: TestApp.now).authTime == 1_700_000_000)
        let fractional = try TokenForge.sign(
            payload: TokenForge.claims(["auth_time": .number(1_700_000_000.9)], kind: "refresh"))
        #expect(try codec.verify(fractional, now: TestApp.now).authTime == 1_700_000_000)
    }

    @Test(arguments: [JSONValue.string("1700000000"), .bool(true), .null, .number(1e300)])
    func unreadableLoginTimesAreInvalid(authTime: JSONValue) throws {
        let token = try TokenForge.sign(payload: TokenForge.claims(["auth_time": authTime], kind: "refresh"))
        #expect(throws: TokenError.invalidToken) { try codec.verify(token, now: TestApp.now) }
    }

    @Test(arguments: [
        JSONValue.number(1), .bool(true), .null, .string(String(repeating: "f", count: 1025)),
        .string("a\u{0}b")
    ])
    func unstorableFamiliesAreInvalid(fam: JSONValue) throws {
        let token = try TokenForge.sign(payload: TokenForge.claims(["fam": fam], kind: "refresh"))
        #expect(throws: TokenError.invalidToken) { try codec.verify(token, now: TestApp.now) }
    }
}
