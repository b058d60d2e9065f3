import Testing
@testable import AuthGateCore

/// One-time recovery codes: their shape, their normal form and their digest.
@Suite struct RecoveryCodesTests {
    static let alphabet = Set("abcdefghijklmnopqrstuvwxyz234567")

    @Test func codesAreTenDistinctXxxxxDashXxxxx() throws {
        let codes = try RecoveryCodes.generate()
        #expect(codes.count == RecoveryCodes.count)
        #expect(Set(codes).count == codes.count)
        for code in codes {
            let parts = code.split(separator: "-", omittingEmptySubsequences: false)
            #expect(parts.count == 2 && parts.allSatisfy { $0.count == 5 }, "\(code)")
            #expect(code.filter { $0 != "-" }.allSatisfy { Self.alphabet.contains($0) }, "\(code)")
            #expect(RecoveryCodes.normalized(code) == code.filter { $0 != "-" })
        }
        #expect(try RecoveryCodes.generate() != codes)
    }

    @Test(arguments: [
        ("ABCDE-FGH23", "abcdefgh23"), ("abcde-fgh23", "abcdefgh23"), ("abcdefgh23", "abcdefgh23"),
        (" abcde fgh23 ", "abcdefgh23"), ("AbCdE - FgH23", "abcdefgh23"), ("a-b-c-d-e-f-g-h-2-3", "abcdefgh23"),
        ("zzzzz-77777", "zzzzz77777")
    ])
    func normalizedLowerCasesAndDropsDashesAndSpaces(input: String, expected: String) {
        #expect(RecoveryCodes.normalized(input) == expected)
    }

    @Test(arguments: [
        "", "abcde-fgh2", "abcde-fgh234", "abcde-fgh01", "abcde-fgh28", "abcde_fgh23", "abcde-fgh2!", "abcdé-fgh23",
        "abcde-fgh23\n", "abcde\tfgh23", "ａbcde-fgh23"
    ])
    func otherLengthsAndCharactersAreRefused(input: String) {
        #expect(RecoveryCodes.normalized(input) == nil)
    }

    @Test func digestsAreKeyedHexHMACs() throws {
        let key = [UInt8](repeating: 1, count: 32)
        let digest = try RecoveryCodes.digest("abcdefgh23", key: key)
        #expect(digest.count == 64 && digest.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(try RecoveryCodes.digest("abcdefgh23", key: key) == digest)
        #expect(try RecoveryCodes.digest("abcdefgh24", key: key) != digest)
        #expect(try RecoveryCodes.digest("abcdefgh23", key: [UInt8](repeating: 2, count: 32)) != digest)
        // Python: hmac.new(bytes([1] * 32), b"abcdefgh23", hashlib.sha256).hexdigest()
        #expect(digest == "8110a229770ef975330cba9eb68df834629bd8e94422729ebd54a5e7bc844dd5")
    }
}
