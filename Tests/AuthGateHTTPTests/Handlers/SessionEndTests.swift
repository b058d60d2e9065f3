import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Ending a login: with token families on, reuse detection and a session
/// logout reach the login's access tokens too; HEAD changes nothing.
@Suite struct SessionEndTests {
    static let rotation = ["AUTHGATE_REFRESH_ROTATION": "true"]

    func loginTokens(_ app: TestApp) throws -> (access: String, refresh: String) {
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        guard case .object(let tokens)? = r.object?["tokens"], let access = tokens["access"]?.stringValue,
            let refresh = tokens["refresh"]?.stringValue
        else { throw StoreError.failed("login answered \(r.status)") }
        return (access, refresh)
    }

    func claims(_ app: TestApp, _ token: String) throws -> Claims {
        try app.services.tokens.verify(token, now: app.clock.now)
    }

    @Test func withRotationTheLoginsAccessTokenCarriesItsFamily() throws {
        let app = try TestApp(environment: Self.rotation)
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        let family = try #require(try claims(app, refresh).family)
        #expect(try claims(app, access).family == family)
    }

    @Test func withEveryNewSettingOffTokensCarryNoFamily() throws {
        let app = try TestApp()
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        #expect(try claims(app, access).family == nil && claims(app, refresh).family == nil)
        let renewed = try #require(
            app.send("POST", "/auth/refresh", token: refresh).object?["access_token"]?.stringValue)
        #expect(try claims(app, renewed).family == nil)
    }

    @Test(arguments: ["/auth/whoami", "/api/users/all", "/auth/verify"])
    func reuseRefusesEveryAccessTokenOfTheLogin(path: String) throws {
        let app = try TestApp(environment: Self.rotation)
        try app.addUser()
        let (first, stolen) = try loginTokens(app)
        let r = app.send("POST", "/auth/refresh", token: stolen)
        let second = try #require(r.object?["access_token"]?.stringValue)
        #expect(app.send("GET", path, token: second).status == 200)
        #expect(app.send("POST", "/auth/refresh", token: stolen).object == TokenBodies.revoked)  // the reuse
        for token in [first, second] {
            let refused = app.send("GET", path, token: token)
            #expect(refused.status == 401, "\(path)")
            if path != "/auth/verify" { #expect(refused.object == TokenBodies.revoked) }
        }
        #expect(app.send("POST", "/auth/logout", token: second).object == TokenBodies.revoked)
    }

    @Test(arguments: [true, false])
    func sessionLogoutWithEitherTokenEndsTheWholeLogin(withAccess: Bool) throws {
        let app = try TestApp(environment: Self.rotation)
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        let other = try loginTokens(app)  // another login of the same user
        let r = app.send("POST", "/auth/logout", token: withAccess ? access : refresh)
        #expect(r.status == 200)
        #expect(app.send("GET", "/auth/whoami", token: access).object == TokenBodies.revoked)
        #expect(app.send("POST", "/auth/refresh", token: refresh).object == TokenBodies.revoked)
        #expect(app.send("GET", "/auth/whoami", token: other.access).status == 200)
        #expect(app.send("POST", "/auth/refresh", token: other.refresh).status == 200)
    }

    @Test func tokenScopeWithRotationRevokesOnlyThePresentedToken() throws {
        let app = try TestApp(environment: Self.rotation.merging(["AUTHGATE_LOGOUT_SCOPE": "token"]) { $1 })
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        #expect(app.send("POST", "/auth/logout", token: access).status == 200)
        #expect(app.send("GET", "/auth/whoami", token: access).object == TokenBodies.revoked)
        #expect(app.send("POST", "/auth/refresh", token: refresh).status == 200)
        #expect(app.store.revokedFamilies.isEmpty)
    }

    /// Session scope without rotation: tokens carry a family, refresh does
    /// not rotate, and a logout still ends every token of the login, the
    /// access tokens a refresh minted included.
    @Test func sessionScopeWithoutRotationEndsTheLoginToo() throws {
        let app = try TestApp(environment: ["AUTHGATE_LOGOUT_SCOPE": "session"])
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        let renewed = try #require(
            app.send("POST", "/auth/refresh", token: refresh).object?["access_token"]?.stringValue)
        #expect(try claims(app, renewed).family == claims(app, refresh).family)
        #expect(app.send("POST", "/auth/logout", token: renewed).status == 200)
        for token in [access, renewed] {
            #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.revoked)
        }
        #expect(app.send("POST", "/auth/refresh", token: refresh).object == TokenBodies.revoked)
    }

    @Test func defaultWithoutRotationLogoutEndsOneTokenAsFlask() throws {
        let app = try TestApp()
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        #expect(app.send("POST", "/auth/logout", token: access).status == 200)
        #expect(app.send("POST", "/auth/refresh", token: refresh).status == 200)
        #expect(app.store.revokedFamilies.isEmpty)
    }

    @Test(arguments: [[:], rotation])
    func headRefreshAnswersAsGetAndRotatesNothing(environment: [String: String]) throws {
        let app = try TestApp(environment: environment)
        try app.addUser()
        let (_, refresh) = try loginTokens(app)
        let head = app.send("HEAD", "/auth/refresh", token: refresh)
        let get = app.send("GET", "/auth/refresh", token: refresh)
        #expect(head.status == 200 && head.wire.body.isEmpty && head.header("Cache-Control") == "no-store")
        #expect(head.body.count == get.body.count)  // the head's Content-Length is GET's
        if environment.isEmpty { return }
        // GET rotated it; HEAD with it now answers what GET would (401) and
        // takes nothing for a theft: the successor still works.
        let successor = try #require(get.object?["refresh_token"]?.stringValue)
        #expect(app.send("HEAD", "/auth/refresh", token: refresh).status == 401)
        #expect(app.store.revokedFamilies.isEmpty)
        #expect(app.send("POST", "/auth/refresh", token: successor).status == 200)
    }

    @Test(arguments: [[:], rotation])
    func headLogoutRevokesNothing(environment: [String: String]) throws {
        let app = try TestApp(environment: environment)
        try app.addUser()
        let (access, refresh) = try loginTokens(app)
        for token in [access, refresh] {
            let head = app.send("HEAD", "/auth/logout", token: token)
            #expect(head.status == 200 && head.wire.body.isEmpty)
        }
        #expect(app.store.revoked.isEmpty && app.store.revokedFamilies.isEmpty)
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
        #expect(app.send("HEAD", "/auth/logout").status == 401)
    }

    /// Session scope without rotation: a refresh token without `fam`
    /// (Flask's) belongs to the family its access tokens were given, so a
    /// logout with one of those ends the refresh token too.
    @Test func aFamilylessRefreshTokenEndsWithTheLoginItsAccessTokensBelongTo() throws {
        let app = try TestApp(environment: ["AUTHGATE_LOGOUT_SCOPE": "session"])
        try app.addUser()
        let legacy = try app.token(kind: .refresh, jti: "flask-jti")
        let access = try #require(app.send("POST", "/auth/refresh", token: legacy).object?["access_token"]?.stringValue)
        #expect(app.send("POST", "/auth/logout", token: access).status == 200)
        #expect(app.send("POST", "/auth/refresh", token: legacy).object == TokenBodies.revoked)
    }

    /// Without rotation nothing is renewed: a logged-out refresh token
    /// presented again is refused, and is no theft to record.
    @Test func withoutRotationALoggedOutRefreshTokenIsNoReuse() throws {
        let app = try TestApp(environment: ["AUTHGATE_LOGOUT_SCOPE": "token"])
        try app.addUser()
        let (_, refresh) = try loginTokens(app)
        #expect(app.send("POST", "/auth/logout", token: refresh).status == 200)
        let capture = LogCapture()
        let again = app.send(
            Request(
                method: "POST", path: "/auth/refresh",
                headers: ["authorization": "Bearer \(refresh)"], logger: capture.logger))
        #expect(again.object == TokenBodies.revoked && app.store.revokedFamilies.isEmpty)
        #expect(!capture.entries.contains { $0.metadata["event"] == "refresh_token_reuse" })
    }

    @Test func headWithARotatedTokenRaisesTheAlarmButRevokesNothing() throws {
        let app = try TestApp(environment: Self.rotation)
        try app.addUser()
        let (_, refresh) = try loginTokens(app)
        #expect(app.send("POST", "/auth/refresh", token: refresh).status == 200)
        let capture = LogCapture()
        let head = app.send(
            Request(
                method: "HEAD", path: "/auth/refresh", headers: ["authorization": "Bearer \(refresh)"],
                logger: capture.logger))
        #expect(head.status == 401 && app.store.revokedFamilies.isEmpty)
        let probe = try #require(capture.entries.first { $0.metadata["event"] == "refresh_token_reuse_probe" })
        #expect(probe.level == .warning && probe.metadata["username"] == "alice" && !probe.text.contains(refresh))
    }
}
