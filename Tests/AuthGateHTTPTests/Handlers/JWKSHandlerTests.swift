import Testing
import AuthGateCore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET /.well-known/jwks.json: the public keys, cacheable; never an HMAC key.
@Suite struct JWKSHandlerTests {
    @Test func hmacOnlyServesAnEmptySet() throws {
        let app = try TestApp()
        let r = app.send("GET", "/.well-known/jwks.json")
        #expect(r.status == 200 && r.text == #"{"keys":[]}"#)
        #expect(r.header("Cache-Control") == "public, max-age=300")
        #expect(!r.text.contains(TestApp.secret))
    }

    @Test func anEdDSAKeyIsPublishedWithItsKid() throws {
        let app = try TestApp(environment: ["FLASK_JWT_ALGORITHM": "EdDSA", "FLASK_JWT_PRIVATE_KEY": TestKeys.ed25519])
        let r = app.send("GET", "/.well-known/jwks.json")
        guard case .array(let keys)? = r.object?["keys"], keys.count == 1 else {
            Issue.record("expected one key: \(r.text)")
            return
        }
        #expect(keys[0]["kid"] == .string(app.services.tokens.keys.current.kid))
        #expect(keys[0]["alg"] == .string("EdDSA") && keys[0]["use"] == .string("sig") && keys[0]["d"] == nil)
        // And a token it issues verifies and names that key.
        try app.addUser()
        #expect(app.send("GET", "/auth/whoami", token: try app.token()).status == 200)
    }

    @Test func otherMethodsAre405() throws {
        let r = try TestApp().send("POST", "/.well-known/jwks.json")
        #expect(r.status == 405 && r.header("Allow") == "GET, HEAD, OPTIONS")
    }
}
