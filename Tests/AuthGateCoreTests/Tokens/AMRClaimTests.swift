import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// `amr` (RFC 8176) as AuthGate reads it: an array of strings is the
/// login's methods; anything else another issuer writes proves no second
/// factor but does not make the token invalid.
@Suite struct AMRClaimTests {
    let codec: JWTCodec
    init() throws { codec = try JWTCodec(key: Array(TestApp.secret.utf8), algorithm: .hs256, leeway: 0) }

    func claims(_ amr: JSONValue?) throws -> Claims {
        try codec.verify(TokenForge.sign(payload: TokenForge.claims(["amr": amr])), now: TestApp.now)
    }

    @Test func anArrayOfStringsIsTheLoginsMethods() throws {
        let read = try claims(.array([.string("pwd"), .string("otp")]))
        #expect(read.amr == ["pwd", "otp"] && read.hasSecondFactor)
        #expect(try claims(.array([.string("hwk"), .string("user")])).hasSecondFactor)
        #expect(try !claims(.array([.string("pwd")])).hasSecondFactor)
        #expect(try !claims(nil).hasSecondFactor && claims(nil).amr == nil)
    }

    @Test(arguments: [
        JSONValue.string("otp"), .number(1), .object(["otp": .bool(true)]), .array([.string("otp"), .null])
    ])
    func anythingElseIsNoSecondFactorAndStillValid(_ amr: JSONValue) throws {
        let read = try claims(amr)
        #expect(read.amr == nil && !read.hasSecondFactor && read.subject == "alice")
    }

    /// AuthGate writes `amr` only when there is one: a password login's
    /// tokens stay Flask's.
    @Test func writtenOnlyWhenSet() throws {
        let plain = Claims(
            subject: "a", kind: .access, fresh: true, jti: "j", issuedAt: 1, notBefore: 1, expires: 2)
        #expect(!String(decoding: plain.json(), as: UTF8.self).contains("amr"))
        var withFactor = plain
        withFactor.amr = ["pwd", "otp"]
        #expect(String(decoding: withFactor.json(), as: UTF8.self).hasSuffix(#","amr":["pwd","otp"]}"#))
    }
}
