import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// TOTP second factors through `Dispatcher` on a hand-set clock
/// (docs/mfa.md): enrolment, the two-step login, recovery codes, replay,
/// the challenge's single use, `amr` through a refresh, `verify?mfa=1`.
@Suite struct SecondFactorTests {
    static let password = #"{"username": "alice", "password": "123456"}"#

    /// A JSON POST from one client address (the throttle counts by it).
    func post(_ app: TestApp, _ path: String, _ body: String) -> Response {
        var request = Request(
            method: "POST", path: path, headers: ["content-type": "application/json"], body: Array(body.utf8))
        request.remoteAddress = "198.51.100.7"
        return app.send(request)
    }

    /// A fresh access token of alice, as a password login gives.
    func freshToken(_ app: TestApp) throws -> String {
        let r = post(app, "/auth/login", Self.password)
        #expect(r.status == 200)
        return try #require(r.object?["tokens"]?["access"]?.stringValue)
    }

    /// alice, enrolled: her TOTP secret and recovery codes. The enrolment
    /// used the current step's code.
    func enrol(_ app: TestApp) throws -> (secret: [UInt8], recovery: [String]) {
        try app.addUser()
        let token = try freshToken(app)
        let begun = app.send("POST", "/auth/mfa/totp", token: token)
        #expect(begun.status == 200)
        #expect(begun.header("Cache-Control") == "no-store")
        let encoded = try #require(begun.object?["secret"]?.stringValue)
        let uri = try #require(begun.object?["otpauth_uri"]?.stringValue)
        #expect(
            uri == "otpauth://totp/AuthGate:alice?secret=\(encoded)&issuer=AuthGate&algorithm=SHA1&digits=6&period=30")
        let secret = try #require(Base32.decode(encoded))
        #expect(secret.count == 20)
        // Nothing is active before the confirm: the password alone still logs in.
        #expect(post(app, "/auth/login", Self.password).status == 200)
        #expect(app.send("POST", "/auth/mfa/totp/confirm", token: token, body: #"{"code": "000000x"}"#).status == 401)
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let confirmed = app.send("POST", "/auth/mfa/totp/confirm", token: token, body: #"{"code": "\#(code)"}"#)
        #expect(confirmed.status == 200)
        guard case .array(let codes)? = confirmed.object?["recovery_codes"] else {
            Issue.record("no recovery codes")
            return (secret, [])
        }
        #expect(codes.count == 10)
        return (secret, codes.compactMap(\.stringValue))
    }

    /// The `mfa_token` a password login answers an enrolled user.
    func challenge(_ app: TestApp) throws -> String {
        let r = post(app, "/auth/login", Self.password)
        #expect(r.status == 401)
        #expect(r.object?["error"] == .string("mfa_required"))
        #expect(r.object?["methods"] == .array([.string("totp"), .string("recovery_code")]))
        #expect(r.object?["tokens"] == nil)
        return try #require(r.object?["mfa_token"]?.stringValue)
    }

    func secondStep(_ app: TestApp, _ mfaToken: String, _ code: String) -> Response {
        post(app, "/auth/login/mfa", #"{"mfa_token": "\#(mfaToken)", "code": "\#(code)"}"#)
    }

    @Test func enrolledUserNeedsACodeAndGetsTokensWithAmr() throws {
        let app = try TestApp()
        let (secret, _) = try enrol(app)
        app.clock.now += 30  // the enrolment used this step's code
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let r = secondStep(app, try challenge(app), code)
        #expect(r.status == 200)
        let access = try #require(r.object?["tokens"]?["access"]?.stringValue)
        let refresh = try #require(r.object?["tokens"]?["refresh"]?.stringValue)
        #expect(try app.services.tokens.verify(access, now: app.clock.now).amr == ["pwd", "otp"])
        // A refresh passes the second factor on.
        let renewed = app.send("POST", "/auth/refresh", token: refresh)
        let next = try #require(renewed.object?["access_token"]?.stringValue)
        #expect(try app.services.tokens.verify(next, now: app.clock.now).amr == ["pwd", "otp"])
        // verify?mfa=1 lets it through, and refuses a password-only token.
        #expect(app.send("GET", "/auth/verify", query: "mfa=1", token: next).status == 200)
        let plain = try app.token()
        let refused = app.send("GET", "/auth/verify", query: "mfa=1", token: plain)
        #expect(refused.status == 401)
        #expect(refused.object?["error"] == .string("mfa_required"))
        #expect(refused.header("WWW-Authenticate") == "Bearer")
        #expect(app.send("GET", "/auth/verify", token: plain).status == 200)
        #expect(app.send("GET", "/auth/verify", query: "mfa=2", token: plain).status == 400)
    }

    @Test func aCodeIsAcceptedOnceAndAChallengeOnce() throws {
        let app = try TestApp()
        let (secret, _) = try enrol(app)
        // The code the enrolment used is spent.
        let used = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        #expect(secondStep(app, try challenge(app), used).object?["error"] == .string("invalid_mfa_code"))
        app.clock.now += 30
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let token = try challenge(app)
        #expect(secondStep(app, token, code).status == 200)
        // The same challenge again, and the same code with a new challenge.
        #expect(secondStep(app, token, code).object?["error"] == .string("invalid_mfa_token"))
        #expect(secondStep(app, try challenge(app), code).object?["error"] == .string("invalid_mfa_code"))
        // A wrong code uses the challenge up too.
        app.clock.now += 30
        let wrongFirst = try challenge(app)
        #expect(secondStep(app, wrongFirst, "123456x").status == 401)
        let next = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        #expect(secondStep(app, wrongFirst, next).object?["error"] == .string("invalid_mfa_token"))
    }

    @Test func codesOfTheNeighbouringStepsPassAndOlderOnesDoNot() throws {
        let app = try TestApp()
        let (secret, _) = try enrol(app)
        app.clock.now += 300
        let step = TOTP.step(at: app.clock.now)
        #expect(secondStep(app, try challenge(app), try TOTP.code(secret: secret, step: step - 2)).status == 401)
        #expect(secondStep(app, try challenge(app), try TOTP.code(secret: secret, step: step - 1)).status == 200)
        #expect(secondStep(app, try challenge(app), try TOTP.code(secret: secret, step: step + 1)).status == 200)
        // Step + 1 used: the current step's code is now older than the last used.
        #expect(secondStep(app, try challenge(app), try TOTP.code(secret: secret, step: step)).status == 401)
    }

    @Test func aRecoveryCodeWorksOnceInAnySpelling() throws {
        let app = try TestApp()
        let (_, recovery) = try enrol(app)
        let code = try #require(recovery.first)
        let r = secondStep(app, try challenge(app), code.uppercased())
        #expect(r.status == 200)
        let access = try #require(r.object?["tokens"]?["access"]?.stringValue)
        #expect(try app.services.tokens.verify(access, now: app.clock.now).amr == ["pwd", "otp"])
        #expect(secondStep(app, try challenge(app), code).status == 401)
        #expect(try app.store.unusedRecoveryCodes(ofUserID: "id-alice") == 9)
        // Stored as digests only.
        #expect(app.store.recoveryCodes["id-alice"]?.keys.contains(code) == false)
    }

    @Test func removalNeedsAFreshTokenAndACurrentCode() throws {
        let app = try TestApp()
        let (secret, recovery) = try enrol(app)
        app.clock.now += 30
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let access = try #require(secondStep(app, try challenge(app), code).object?["tokens"]?["access"]?.stringValue)
        #expect(app.send("DELETE", "/auth/mfa/totp", token: try app.token(), body: #"{"code": "x"}"#).status == 401)
        #expect(app.send("DELETE", "/auth/mfa/totp", token: access, body: #"{"code": "000000"}"#).status == 401)
        app.clock.now += 2
        let removed = app.send("DELETE", "/auth/mfa/totp", token: access, body: #"{"code": "\#(recovery[1])"}"#)
        #expect(removed.status == 200)
        #expect(app.store.totp["id-alice"] == nil)
        #expect(post(app, "/auth/login", Self.password).status == 200)
        // The sessions before the removal end (the phone may be in other
        // hands); the answer's new pair keeps the login's amr.
        #expect(app.send("GET", "/auth/whoami", token: access).object?["error"] == .string("token_revoked"))
        let renewed = try #require(removed.object?["tokens"]?["access"]?.stringValue)
        #expect(try app.services.tokens.verify(renewed, now: app.clock.now).amr == ["pwd", "otp"])
        #expect(app.send("DELETE", "/auth/mfa/totp", token: renewed, body: #"{"code": "123456"}"#).status == 409)
    }

    @Test func enrolmentIsRefusedWhileAConfirmedOneExistsAndWithoutAFreshToken() throws {
        let app = try TestApp()
        let (secret, _) = try enrol(app)
        app.clock.now += 30
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let access = try #require(secondStep(app, try challenge(app), code).object?["tokens"]?["access"]?.stringValue)
        #expect(app.send("POST", "/auth/mfa/totp", token: access).object?["error"] == .string("mfa_enabled"))
        let stale = app.send("POST", "/auth/mfa/totp", token: try app.token())
        #expect(stale.object?["error"] == .string("fresh_token_required"))
        #expect(app.send("POST", "/auth/mfa/totp").status == 401)
    }

    @Test func theChallengeIsNoTokenAnywhereElseAndForgeriesFail() throws {
        let app = try TestApp()
        _ = try enrol(app)
        let token = try challenge(app)
        #expect(app.send("GET", "/auth/whoami", token: token).object?["error"] == .string("invalid_token"))
        var forged = Array(token.utf8)
        forged[forged.count / 3] ^= 1
        let r = secondStep(app, String(decoding: forged, as: UTF8.self), "123456")
        #expect(r.object?["error"] == .string("invalid_mfa_token"))
        app.clock.now += MFAChallenge.lifetime + 1
        #expect(secondStep(app, token, "123456").object?["error"] == .string("invalid_mfa_token"))
    }

    @Test func wrongPasswordsStayIndistinguishableFromUnknownUsers() throws {
        let app = try TestApp()
        _ = try enrol(app)
        let wrong = post(app, "/auth/login", #"{"username": "alice", "password": "nope"}"#)
        let unknown = post(app, "/auth/login", #"{"username": "bob", "password": "nope"}"#)
        #expect(wrong.status == 400)
        #expect(wrong.serialized() == unknown.serialized())
    }

    /// Wrong codes add up in the login throttle across password logins (a
    /// right password does not clear an enrolled user's count); the right
    /// code clears it.
    @Test func wrongCodesCountTowardTheLoginThrottle() throws {
        let app = try TestApp(environment: [
            "AUTHGATE_LOGIN_THROTTLE": "true", "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES": "3",
            "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": "60"
        ])
        let (secret, _) = try enrol(app)
        for _ in 0..<2 { #expect(secondStep(app, try challenge(app), "000000x").status == 401) }
        app.clock.now += 30
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        #expect(secondStep(app, try challenge(app), code).status == 200)
        for _ in 0..<3 { #expect(secondStep(app, try challenge(app), "000000x").status == 401) }
        let refused = post(app, "/auth/login", Self.password)
        #expect(refused.status == 429)
        #expect(refused.header("Retry-After") != nil)
    }

    /// Without AUTHGATE_WEBAUTHN_* the passkey paths do not exist.
    @Test func passkeyPathsAre404WhenPasskeysAreOff() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try freshToken(app)
        for path in ["/auth/mfa/webauthn/register", "/auth/mfa/webauthn/register/finish"] {
            #expect(app.send("POST", path, token: token, body: "{}").status == 404)
        }
        #expect(post(app, "/auth/login/mfa/webauthn", #"{"mfa_token": "x"}"#).status == 404)
    }

    /// Five wrong answers lock the user's second step for the window,
    /// whatever the address and with the login throttle off; the right
    /// code then waits too.
    @Test func wrongAnswersAreLimitedPerUserAlways() throws {
        let app = try TestApp()
        let (secret, recovery) = try enrol(app)
        for _ in 0..<5 { #expect(secondStep(app, try challenge(app), "000000").status == 401) }
        app.clock.now += 30
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let refused = secondStep(app, try challenge(app), code)
        #expect(refused.status == 429)
        #expect(refused.object?["error"] == .string("Too many failed second-factor attempts"))
        #expect(refused.header("Retry-After") != nil)
        app.clock.now += 900
        #expect(secondStep(app, try challenge(app), recovery[0]).status == 200)
    }

    /// The first factor restarts the sessions: the token that enrolled is
    /// revoked and the answer carries a new pair with `amr`.
    @Test func confirmingTheFirstFactorRestartsSessions() throws {
        let app = try TestApp()
        try app.addUser()
        let old = try freshToken(app)
        let begun = app.send("POST", "/auth/mfa/totp", token: old)
        let encoded = try #require(begun.object?["secret"]?.stringValue)
        let secret = try #require(Base32.decode(encoded))
        app.clock.now += 1
        let code = try TOTP.code(secret: secret, step: TOTP.step(at: app.clock.now))
        let confirmed = app.send("POST", "/auth/mfa/totp/confirm", token: old, body: #"{"code": "\#(code)"}"#)
        #expect(confirmed.status == 200)
        #expect(confirmed.header("Cache-Control") == "no-store")
        let access = try #require(confirmed.object?["tokens"]?["access"]?.stringValue)
        #expect(try app.services.tokens.verify(access, now: app.clock.now).amr == ["pwd", "otp"])
        #expect(app.send("GET", "/auth/whoami", token: old).object?["error"] == .string("token_revoked"))
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
    }

    /// Once enrolled, a fresh token without a second factor (a Flask app's,
    /// say) can neither add a factor nor remove one.
    @Test func changesNeedATokenWithASecondFactorOnceEnrolled() throws {
        let app = try TestApp()
        let (_, recovery) = try enrol(app)
        app.clock.now += 5
        let now = Int64(app.clock.now)
        let passwordOnly = try app.services.tokens.sign(
            Claims(
                subject: "alice", kind: .access, fresh: true, jti: "flask-1", issuedAt: now, notBefore: now,
                expires: app.clock.now + 900))
        for (method, path, body) in [
            ("POST", "/auth/mfa/totp", "{}"), ("DELETE", "/auth/mfa/totp", #"{"code": "\#(recovery[0])"}"#)
        ] {
            let r = app.send(method, path, token: passwordOnly, body: body)
            #expect(r.status == 401 && r.object?["error"] == .string("mfa_required"), "\(method) \(path)")
        }
        #expect(app.store.totp["id-alice"]?.confirmed == true)
    }

    @Test func theStatusListsTheFactorsAndOnePasskeyIsRemovedByItsId() throws {
        let app = try TestApp()
        let (_, recovery) = try enrol(app)
        let withFactor = try #require(
            secondStep(app, try challenge(app), recovery[0]).object?["tokens"]?["access"]?.stringValue)
        for (id, user) in [("cred-1", "id-alice"), ("cred-2", "id-alice"), ("cred-bob", "id-bob")] {
            #expect(
                try app.store.addWebAuthnCredential(
                    WebAuthnCredential(userID: user, credentialID: id, publicKey: "k", algorithm: -7, signCount: 0),
                    now: app.clock.now))
        }
        let status = app.send("GET", "/auth/mfa", token: withFactor)
        #expect(status.status == 200 && status.header("Cache-Control") == "no-store")
        #expect(status.object?["methods"] == .array([.string("totp"), .string("recovery_code"), .string("webauthn")]))
        #expect(status.object?["totp"] == .bool(true) && status.object?["recovery_codes_left"] == .number(9))
        #expect(
            status.object?["passkeys"]
                == .array([
                    .object(["id": .string("cred-1"), "algorithm": .string("ES256")]),
                    .object(["id": .string("cred-2"), "algorithm": .string("ES256")])
                ]))
        // A password-only token cannot take a factor away, even a fresh one.
        let now = Int64(app.clock.now)
        let passwordOnly = try app.services.tokens.sign(
            Claims(
                subject: "alice", kind: .access, fresh: true, jti: "pwd-only", issuedAt: now, notBefore: now,
                expires: app.clock.now + 900))
        let refused = app.send("DELETE", "/auth/mfa/webauthn", token: passwordOnly, body: #"{"id": "cred-1"}"#)
        #expect(refused.status == 401 && refused.object?["error"] == .string("mfa_required"))
        for id in ["cred-bob", "nope"] {
            let r = app.send("DELETE", "/auth/mfa/webauthn", token: withFactor, body: #"{"id": "\#(id)"}"#)
            #expect(r.status == 404 && r.object?["error"] == .string("passkey_not_found"), "\(id)")
        }
        #expect(app.send("DELETE", "/auth/mfa/webauthn", token: withFactor, body: #"{"id": 5}"#).status == 400)
        app.clock.now += 2
        let removed = app.send("DELETE", "/auth/mfa/webauthn", token: withFactor, body: #"{"id": "cred-1"}"#)
        #expect(removed.status == 200)
        // Sessions the lost key may have opened end with it.
        #expect(app.send("GET", "/auth/whoami", token: withFactor).object?["error"] == .string("token_revoked"))
        let renewed = try #require(removed.object?["tokens"]?["access"]?.stringValue)
        #expect(app.send("DELETE", "/auth/mfa/webauthn", token: renewed, body: #"{"id": "cred-1"}"#).status == 404)
        #expect(try app.store.webAuthnCredentials(ofUserID: "id-alice").map(\.credentialID) == ["cred-2"])
        #expect(try app.store.webAuthnCredentials(ofUserID: "id-bob").count == 1)
    }
}
