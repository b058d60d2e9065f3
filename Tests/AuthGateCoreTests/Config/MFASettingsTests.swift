import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// The second-factor settings: the sealing key, the issuer, and where
/// passkeys run (an RP ID and the origin the browser shows).
@Suite struct MFASettingsTests {
    func load(_ env: [String: String]) throws -> Config {
        try Config.load(
            environment: ["FLASK_SECRET_KEY": "app-secret"].merging(env) { $1 }, dotEnv: [:],
            workingDirectory: "/nonexistent")
    }

    @Test func theKeyIsTheHMACSecretUnlessItsOwnIsSet() throws {
        #expect(try load([:]).mfaKey == Array("app-secret".utf8))
        let own = String(repeating: "k", count: 32)
        #expect(try load(["AUTHGATE_MFA_KEY": own]).mfaKey == Array(own.utf8))
        #expect(throws: ConfigError.self) { try load(["AUTHGATE_MFA_KEY": "short"]) }
        #expect(try load([:]).mfaIssuer == "AuthGate" && load([:]).passkeys == nil)
        #expect(throws: ConfigError.self) { try load(["AUTHGATE_MFA_ISSUER": "a:b"]) }
    }

    @Test(arguments: [
        ("example.com", "https://example.com"), ("example.com", "https://login.example.com:8443"),
        ("localhost", "http://localhost:8080"), ("localhost", "https://localhost")
    ])
    func originsOfTheRPOrItsSubdomains(rpID: String, origin: String) throws {
        let passkeys = try load(["AUTHGATE_WEBAUTHN_RP_ID": rpID, "AUTHGATE_WEBAUTHN_ORIGIN": origin]).passkeys
        #expect(passkeys == PasskeySettings(rpID: rpID, origin: origin, rpName: "AuthGate"))
    }

    @Test(arguments: [
        ("example.com", ""), ("", "https://example.com"), ("example.com", "http://example.com"),
        ("example.com", "https://evilexample.com"), ("example.com", "https://example.com.evil.net"),
        ("example.com", "https://example.com:x"), ("example.com", "https://example.com/"),
        ("Example.com", "https://Example.com"),
        ("localhost", "http://localhost.evil.net"), (".com", "https://x.com"),
        ("example.com", "https://example.com:443"),
        ("example.com", "https://example.com:0443"), ("localhost", "http://localhost:80")
    ])
    func anythingElseStopsStartUp(rpID: String, origin: String) {
        #expect(throws: ConfigError.self) {
            try load(["AUTHGATE_WEBAUTHN_RP_ID": rpID, "AUTHGATE_WEBAUTHN_ORIGIN": origin])
        }
    }
}
