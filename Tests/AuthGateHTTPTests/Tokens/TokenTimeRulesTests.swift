import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// exp, nbf and iat against the fixed clock, with and without
/// FLASK_JWT_DECODE_LEEWAY, as PyJWT decides them: expired when
/// exp <= now − leeway; invalid when nbf or iat > now + leeway.
@Suite struct TokenTimeRulesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let leeway: Int
        let claims: [String: Double?]  // offsets from now; nil removes the claim
        let answer: [String: JSONValue]?  // nil: accepted

        var testDescription: String {
            "leeway \(leeway), "
                + claims.sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value.map { "now\($0 >= 0 ? "+" : "")\($0)" } ?? "absent")" }
                .joined(separator: ", ")
        }
    }

    static let cases: [Case] = [
        Case(leeway: 0, claims: ["exp": 1], answer: nil),
        Case(leeway: 0, claims: ["exp": 0.5], answer: nil),
        Case(leeway: 0, claims: ["exp": 0], answer: TokenBodies.expired),
        Case(leeway: 0, claims: ["exp": -0.5], answer: TokenBodies.expired),
        Case(leeway: 30, claims: ["exp": -29], answer: nil),
        Case(leeway: 30, claims: ["exp": -29.5], answer: nil),
        Case(leeway: 30, claims: ["exp": -30], answer: TokenBodies.expired),
        Case(leeway: 0, claims: ["nbf": 0], answer: nil),
        Case(leeway: 0, claims: ["nbf": 0.5], answer: TokenBodies.invalid),
        Case(leeway: 0, claims: ["nbf": 1], answer: TokenBodies.invalid),
        Case(leeway: 30, claims: ["nbf": 30], answer: nil),
        Case(leeway: 30, claims: ["nbf": 31], answer: TokenBodies.invalid),
        Case(leeway: 0, claims: ["iat": 0], answer: nil),
        Case(leeway: 0, claims: ["iat": 1], answer: TokenBodies.invalid),
        Case(leeway: 30, claims: ["iat": 30], answer: nil),
        Case(leeway: 30, claims: ["iat": 31], answer: TokenBodies.invalid),
        Case(leeway: 0, claims: ["iat": nil, "nbf": nil], answer: nil),
        Case(leeway: 0, claims: ["iat": -86_400 * 365, "nbf": -86_400 * 365], answer: nil),
        Case(leeway: 0, claims: ["exp": 86_400 * 365 * 100], answer: nil)
    ]

    @Test(arguments: cases)
    func timeClaims(_ c: Case) throws {
        let app = try TestApp(environment: ["FLASK_JWT_DECODE_LEEWAY": String(c.leeway)])
        try app.addUser()
        var overrides: [String: JSONValue?] = [:]
        for (name, offset) in c.claims { overrides.updateValue(offset.map { .number(TestApp.now + $0) }, forKey: name) }
        let token = try TokenForge.sign(payload: TokenForge.claims(overrides))
        let r = app.send("GET", "/auth/whoami", token: token)
        if let answer = c.answer {
            #expect(r.status == 401 && r.object == answer)
        } else {
            #expect(r.status == 200, "\(r.text)")
        }
    }

    /// The same token, as the clock moves past its exp.
    @Test func aTokenExpiresAsTheClockPassesExp() throws {
        let app = try TestApp(environment: ["FLASK_JWT_DECODE_LEEWAY": "10"])
        try app.addUser()
        let token = try app.token()  // exp = now + 900
        app.clock.now = TestApp.now + 909
        #expect(app.send("GET", "/auth/whoami", token: token).status == 200)
        app.clock.now = TestApp.now + 910
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.expired)
    }
}
