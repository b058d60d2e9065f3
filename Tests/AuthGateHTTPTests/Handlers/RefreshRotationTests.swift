import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// AUTHGATE_REFRESH_ROTATION: refresh answers a new refresh token of the
/// login's family and revokes the one presented; presenting a revoked one
/// again revokes the family.
@Suite struct RefreshRotationTests {
    static let on = ["AUTHGATE_REFRESH_ROTATION": "true"]

    func loginRefresh(_ app: TestApp) throws -> String {
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        guard case .object(let tokens)? = r.object?["tokens"], let refresh = tokens["refresh"]?.stringValue else {
            throw StoreError.failed("login answered \(r.status)")
        }
        return refresh
    }

    func claims(_ app: TestApp, _ token: String) throws -> Claims {
        try app.services.tokens.verify(token, now: app.clock.now)
    }

    @Test func offByDefaultLoginWritesNoFamilyAndRefreshDoesNotRotate() throws {
        let app = try TestApp()
        try app.addUser()
        let refresh = try loginRefresh(app)
        #expect(try claims(app, refresh).family == nil)
        for _ in 0..<2 {
            let r = app.send("POST", "/auth/refresh", token: refresh)
            #expect(r.status == 200 && r.object?.keys.sorted() == ["access_token"])
        }
        #expect(app.store.revoked.isEmpty)
    }

    @Test func rotationRevokesThePresentedTokenAndKeepsTheFamily() throws {
        let app = try TestApp(environment: Self.on)
        try app.addUser()
        let first = try loginRefresh(app)
        let family = try #require(try claims(app, first).family)
        app.clock.now += 10
        let r = app.send("POST", "/auth/refresh", token: first)
        #expect(r.status == 200 && r.header("Cache-Control") == "no-store")
        let second = try #require(r.object?["refresh_token"]?.stringValue)
        let next = try claims(app, second)
        #expect(next.family == family && next.kind == .refresh && next.subject == "alice")
        // The login's deadline, not a full lifetime from now: rotation renews tokens, not the login.
        #expect(next.expires == TestApp.now + Double(app.services.config.refreshExpires))
        #expect(next.authTime == Int64(TestApp.now))
        #expect(app.store.revoked[try claims(app, first).jti] == (try claims(app, first)).expires)
        let access = try claims(app, try #require(r.object?["access_token"]?.stringValue))
        #expect(access.kind == .access && !access.fresh && access.family == family)
    }

    @Test func reuseRevokesTheFamilyAndLogsWhoseNotTheToken() throws {
        let app = try TestApp(environment: Self.on)
        try app.addUser()
        let stolen = try loginRefresh(app)
        let family = try #require(try claims(app, stolen).family)
        let successor = try #require(
            app.send("POST", "/auth/refresh", token: stolen).object?["refresh_token"]?.stringValue)
        let capture = LogCapture()
        let reuse = app.send(
            Request(
                method: "POST", path: "/auth/refresh", headers: ["authorization": "Bearer \(stolen)"],
                logger: capture.logger))
        #expect(reuse.status == 401 && reuse.object == TokenBodies.revoked)
        #expect(app.store.revokedFamilies[family] != nil)
        #expect(app.send("POST", "/auth/refresh", token: successor).object == TokenBodies.revoked)
        let warning = try #require(capture.entries.first { $0.metadata["event"] == "refresh_token_reuse" })
        #expect(
            warning.level == .warning && warning.metadata["username"] == "alice" && warning.metadata["family"] == family
        )
        #expect(!capture.entries.contains { $0.text.contains(stolen) || $0.text.contains(successor) })
    }

    /// Kept until the family's last possible token expires, plus the margin.
    @Test func theFamilyIsKeptUntilItsLastTokenCouldExpire() throws {
        let app = try TestApp(environment: Self.on)
        try app.addUser()
        let stolen = try loginRefresh(app)
        _ = app.send("POST", "/auth/refresh", token: stolen)
        app.clock.now += 100
        _ = app.send("POST", "/auth/refresh", token: stolen)
        let family = try #require(try claims(app, stolen).family)
        let kept = try #require(app.store.revokedFamilies[family])
        #expect(kept == app.clock.now + Double(app.services.config.refreshExpires) + FamilyRevocation.marginSeconds)
    }

    /// A token without `fam` continues under a family named after its jti,
    /// so presenting it again after it was rotated revokes its successors.
    @Test func aTokenWithoutAFamilyIsRotatedIntoItsDerivedFamilyWhichItsReuseRevokes() throws {
        let app = try TestApp(environment: Self.on)
        try app.addUser()
        let legacy = try app.token(kind: .refresh, jti: "legacy-jti")
        let family = "j:" + Hex.encode(try Crypto.sha256(Array("legacy-jti".utf8)))
        let r = app.send("POST", "/auth/refresh", token: legacy)
        let successor = try #require(r.object?["refresh_token"]?.stringValue)
        let next = try claims(app, successor)
        #expect(next.family == family && next.authTime == Int64(TestApp.now))
        #expect(app.send("POST", "/auth/refresh", token: legacy).object == TokenBodies.revoked)
        #expect(app.store.revokedFamilies[family] != nil)
        #expect(app.send("POST", "/auth/refresh", token: successor).object == TokenBodies.revoked)
    }

    /// Rotation off: a revoked family-less token (a logout) is refused and
    /// nothing more is written, as before rotation existed.
    @Test func offARevokedTokenWithoutAFamilyRevokesNoFamily() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try app.token(kind: .refresh)
        #expect(app.send("POST", "/auth/logout", token: token).status == 200)
        #expect(app.send("POST", "/auth/refresh", token: token).object == TokenBodies.revoked)
        #expect(app.store.revokedFamilies.isEmpty)
    }

    /// Off: login's refresh token carries exactly Flask-JWT-Extended's claims.
    @Test func offTheRefreshTokenHasOnlyFlasksClaims() throws {
        let app = try TestApp()
        try app.addUser()
        let payload = try app.services.tokens.verifiedPayload(try loginRefresh(app))
        #expect(payload.keys.sorted() == ["exp", "fresh", "iat", "jti", "nbf", "sub", "type"])
    }

    @Test func onLoginWritesTheLoginTime() throws {
        let app = try TestApp(environment: Self.on)
        try app.addUser()
        let payload = try app.services.tokens.verifiedPayload(try loginRefresh(app))
        #expect(payload.keys.sorted() == ["auth_time", "exp", "fam", "fresh", "iat", "jti", "nbf", "sub", "type"])
        #expect(payload["auth_time"] == .number(TestApp.now))
    }

    /// A family lives at most AUTHGATE_REFRESH_MAX_AGE_SECONDS from its
    /// login: successors expire by then, and a refresh past it is refused.
    @Test func rotationNeverExtendsTheLoginPastItsMaxAge() throws {
        let app = try TestApp(
            environment: Self.on.merging([
                "FLASK_JWT_REFRESH_TOKEN_EXPIRES": "1000",
                "AUTHGATE_REFRESH_MAX_AGE_SECONDS": "2500"
            ]) { $1 })
        try app.addUser()
        var token = try loginRefresh(app)
        #expect(try claims(app, token).expires == TestApp.now + 1000)
        for step in 1...2 {  // each rotation within the lifetime, the last one capped
            app.clock.now += 900
            token = try #require(app.send("POST", "/auth/refresh", token: token).object?["refresh_token"]?.stringValue)
            #expect(try claims(app, token).expires == min(app.clock.now + 1000, TestApp.now + 2500), "step \(step)")
        }
        app.clock.now = TestApp.now + 2500  // the deadline: expired, whatever the token's own exp says
        let late = try app.services.tokens.sign(
            Claims(
                subject: "alice", kind: .refresh, fresh: false, jti: "late", issuedAt: Int64(app.clock.now) - 10,
                notBefore: Int64(app.clock.now) - 10, expires: app.clock.now + 500, family: "f",
                authTime: Int64(TestApp.now)))
        #expect(app.send("POST", "/auth/refresh", token: late).object == TokenBodies.expired)
        #expect(app.store.revoked["late"] == nil)  // refused before the arbiter
    }

    /// Turned off again, a token of a rotating login still stops at the login's deadline.
    @Test func offATokenWithALoginTimeStillStopsAtTheDeadline() throws {
        let app = try TestApp()
        try app.addUser()
        let now = Int64(TestApp.now)
        let token = try app.services.tokens.sign(
            Claims(
                subject: "alice", kind: .refresh, fresh: false, jti: "j", issuedAt: now, notBefore: now,
                expires: TestApp.now + 900, family: "f", authTime: now - app.services.config.refreshMaxAge))
        #expect(app.send("POST", "/auth/refresh", token: token).object == TokenBodies.expired)
    }

    /// A token from before rotation (no `auth_time`) counts from its iat.
    @Test func aTokenWithoutALoginTimeCountsFromItsIssue() throws {
        let app = try TestApp(environment: Self.on.merging(["AUTHGATE_REFRESH_MAX_AGE_SECONDS": "600"]) { $1 })
        try app.addUser()
        let legacy = try app.token(kind: .refresh)  // iat = TestApp.now, exp + 900
        app.clock.now += 300
        let next = try claims(
            app,
            try #require(
                app.send("POST", "/auth/refresh", token: legacy)
                    .object?["refresh_token"]?.stringValue))
        #expect(next.authTime == Int64(TestApp.now) && next.expires == TestApp.now + 600)
        app.clock.now = TestApp.now + 600
        #expect(
            app.send("POST", "/auth/refresh", token: try app.token(kind: .refresh, jti: "other")).object
                == TokenBodies.expired)
    }

    /// The blocklist insert decides: a refresh whose insert finds the jti
    /// taken (another refresh won meanwhile) is refused and revokes nothing more.
    @Test func theLoserOfTheArbiterIsRefusedWithoutRevokingTheFamily() throws {
        let store = RaceLosingStore()
        let app = try TestApp(environment: Self.on, userStore: store)
        store.base.users = [try app.addUser()]
        let token = try loginRefresh(app)
        #expect(app.send("POST", "/auth/refresh", token: token).object == TokenBodies.revoked)
        #expect(store.base.revokedFamilies.isEmpty)
    }

    @Test func aRevokedFamilyRefusesAnyTokenCarryingIt() throws {
        let app = try TestApp(environment: Self.on)
        try app.addUser()
        let token = try loginRefresh(app)
        app.store.revokedFamilies[try #require(try claims(app, token).family)] = .infinity
        #expect(app.send("POST", "/auth/refresh", token: token).object == TokenBodies.revoked)
        #expect(app.send("POST", "/auth/logout", token: token).object == TokenBodies.revoked)
    }
}

/// The memory store, except that the arbiter's insert always finds the jti
/// taken: what a refresh sees when a concurrent one committed first.
final class RaceLosingStore: UserStore {
    let base = MemoryUserStore()
    func ping() throws { try base.ping() }
    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
        try base.insertUser(id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt)
    }
    func user(named username: String) throws -> UserRecord? { try base.user(named: username) }
    func syncUsernameKeys() throws { try base.syncUsernameKeys() }
    func usernameKeyTaken(_ key: String) throws -> Bool { try base.usernameKeyTaken(key) }
    func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String
    ) throws {
        try base.insertUser(
            id: id, username: username, email: email, passwordHash: passwordHash, createdAt: createdAt,
            usernameKey: usernameKey)
    }
    func allUsernames() throws -> [String] { try base.allUsernames() }
    func usernameExists(_ username: String) throws -> Bool { try base.usernameExists(username) }
    func emailExists(_ email: String) throws -> Bool { try base.emailExists(email) }
    func usersPage(limit: Int, offset: Int) throws -> [PublicUser] { try base.usersPage(limit: limit, offset: offset) }
    func userCount() throws -> Int { try base.userCount() }
    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
        try base.revoke(jti: jti, type: type, now: now, expiresAt: expiresAt)
    }
    func isRevoked(jti: String) throws -> Bool { try base.isRevoked(jti: jti) }
    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int {
        try base.purgeRevocations(expiredBefore: cutoff)
    }
    func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool { false }
    func deleteUser(named username: String) throws -> Bool { try base.deleteUser(named: username) }
    func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
        try base.revokeTokens(ofUser: username, issuedBefore: notBefore, now: now)
    }
    func tokensNotBefore(ofUser username: String) throws -> Int64? { try base.tokensNotBefore(ofUser: username) }
    func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
        try base.revokeFamily(family, username: username, now: now, expiresAt: expiresAt)
    }
    func isFamilyRevoked(_ family: String) throws -> Bool { try base.isFamilyRevoked(family) }
    func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int {
        try base.purgeRevokedFamilies(expiredBefore: cutoff)
    }
    func loginFailures(key: String, address: String) throws -> LoginFailures? {
        try base.loginFailures(key: key, address: address)
    }
    func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        try base.recordLoginFailure(key: key, address: address, now: now, windowCutoff: windowCutoff)
    }
    func clearLoginFailures(key: String, address: String) throws {
        try base.clearLoginFailures(key: key, address: address)
    }
    func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int {
        try base.purgeLoginFailures(windowStartedBefore: cutoff)
    }
    func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        try base.replacePasswordHash(userID: userID, oldHash: oldHash, newHash: newHash)
    }
    func groups(ofUserID userID: String) throws -> [String] { try base.groups(ofUserID: userID) }
    func addToGroup(userID: String, group: String) throws -> Bool { try base.addToGroup(userID: userID, group: group) }
    func removeFromGroup(userID: String, group: String) throws -> Bool {
        try base.removeFromGroup(userID: userID, group: group)
    }
    func groupMemberCounts() throws -> [(group: String, members: Int)] { try base.groupMemberCounts() }
}

/// Second factors pass through to the memory store.
extension RaceLosingStore {
    func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment? { try base.totpEnrolment(ofUserID: userID) }
    func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool {
        try base.beginTOTP(userID: userID, sealedSecret: sealedSecret, now: now)
    }
    func confirmTOTP(userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double)
        throws -> Bool
    {
        try base.confirmTOTP(
            userID: userID, sealedSecret: sealedSecret, step: step, recoveryDigests: recoveryDigests, now: now)
    }
    func useTOTPStep(userID: String, step: Int64) throws -> Bool { try base.useTOTPStep(userID: userID, step: step) }
    func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool {
        try base.useRecoveryCode(userID: userID, digest: digest, now: now)
    }
    func unusedRecoveryCodes(ofUserID userID: String) throws -> Int { try base.unusedRecoveryCodes(ofUserID: userID) }
    func removeMFA(userID: String) throws -> Bool { try base.removeMFA(userID: userID) }
    func removeTOTP(userID: String) throws -> Bool { try base.removeTOTP(userID: userID) }
    func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool {
        try base.removeWebAuthnCredential(credentialID: credentialID, userID: userID)
    }
    func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential] {
        try base.webAuthnCredentials(ofUserID: userID)
    }
    func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)? {
        try base.passkeyOwner(credentialID: credentialID)
    }
    func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool {
        try base.addWebAuthnCredential(credential, now: now)
    }
    func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool {
        try base.updateSignCount(credentialID: credentialID, userID: userID, from: old, to: new)
    }
}
