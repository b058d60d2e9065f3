import Testing
@testable import AuthGateCore

/// RFC 6238 TOTP with HMAC-SHA1, 6 digits and a 30-second period.
@Suite struct TOTPTests {
    /// RFC 6238 Appendix B's SHA-1 seed.
    static let secret = Array("12345678901234567890".utf8)

    /// Appendix B's SHA-1 column, truncated to the last 6 of its 8 digits.
    @Test(arguments: [
        (59.0, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"),
        (2_000_000_000, "279037"), (20_000_000_000, "353130")
    ])
    func rfc6238Vectors(time: Double, code: String) throws {
        #expect(try TOTP.code(secret: Self.secret, step: TOTP.step(at: time)) == code)
        #expect(try TOTP.matchingStep(code, secret: Self.secret, now: time, skew: 0) == TOTP.step(at: time))
    }

    @Test func stepsAreFlooredThirtySecondWindows() {
        #expect(TOTP.step(at: 0) == 0)
        #expect(TOTP.step(at: 29.999) == 0)
        #expect(TOTP.step(at: 30) == 1)
        #expect(TOTP.step(at: 59) == 1)
        #expect(TOTP.step(at: -1) == -1)
        #expect(TOTP.step(at: .nan) == 0)
        #expect(TOTP.step(at: .infinity) == .max)
    }

    @Test func oneStepOfSkewEachWayIsAcceptedTwoAreNot() throws {
        let now = 1_111_111_111.0
        let center = TOTP.step(at: now)
        for offset: Int64 in [-1, 0, 1] {
            let code = try TOTP.code(secret: Self.secret, step: center + offset)
            #expect(try TOTP.matchingStep(code, secret: Self.secret, now: now) == center + offset)
        }
        for offset: Int64 in [-2, 2] {
            let code = try TOTP.code(secret: Self.secret, step: center + offset)
            #expect(try TOTP.matchingStep(code, secret: Self.secret, now: now) == nil)
            #expect(try TOTP.matchingStep(code, secret: Self.secret, now: now, skew: 2) == center + offset)
        }
    }

    @Test(arguments: ["", "05047", "0504710", "05047a", "050 471", " 050471", "050471\n", "٠٥٠٤٧١", "+50471", "-50471"])
    func codesThatAreNotSixASCIIDigitsAreRefused(code: String) throws {
        #expect(try TOTP.matchingStep(code, secret: Self.secret, now: 1_111_111_111) == nil)
    }

    @Test func otherSecretsAndOddInputsDoNotMatch() throws {
        let code = try TOTP.code(secret: Self.secret, step: TOTP.step(at: 1_111_111_111))
        #expect(try TOTP.matchingStep(code, secret: Array("other secret".utf8), now: 1_111_111_111) == nil)
        #expect(try TOTP.matchingStep(code, secret: Self.secret, now: .nan) == nil)
        #expect(try TOTP.matchingStep(code, secret: Self.secret, now: 1_111_111_111, skew: -1) == nil)
        // At the edges of the step range the window clamps instead of overflowing.
        let last = try TOTP.code(secret: Self.secret, step: .max)
        #expect(try TOTP.matchingStep(last, secret: Self.secret, now: 1e300) == .max)
    }
}
