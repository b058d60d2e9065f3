import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET|POST /auth/logout revokes the token presented, access or refresh,
/// until it would have expired.
@Suite struct LogoutHandlerTests {
    @Test(arguments: [
        ("GET", "/auth/logout"), ("POST", "/auth/logout"), ("GET", "/api/auth/logout"),
        ("POST", "/api/auth/logout")
    ])
    func revokesAnAccessToken(method: String, path: String) throws {
        let app = try TestApp()
        try app.addUser()
        let token = try app.token(jti: "a-1")
        let r = app.send(method, path, token: token)
        #expect(r.status == 200)
        #expect(r.object == strings(["message": "access token revoked successfully"]))
        #expect(app.store.revoked == ["a-1": TestApp.now + 900])
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.revoked)
    }

    @Test func revokesARefreshTokenAndLeavesTheAccessTokenGood() throws {
        let app = try TestApp()
        try app.addUser()
        let refresh = try app.token(kind: .refresh, jti: "r-1")
        let access = try app.token(jti: "a-1")
        let r = app.send("POST", "/auth/logout", token: refresh)
        #expect(r.status == 200)
        #expect(r.object == strings(["message": "refresh token revoked successfully"]))
        #expect(Set(app.store.revoked.keys) == ["r-1"])
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
        #expect(app.send("GET", "/auth/refresh", token: refresh).object == TokenBodies.revoked)
    }

    @Test func theRevocationLastsUntilTheTokensOwnExpiry() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try TokenForge.sign(payload: TokenForge.claims(["exp": .number(TestApp.now + 30.5)], jti: "short"))
        #expect(app.send("GET", "/auth/logout", token: token).status == 200)
        #expect(app.store.revoked == ["short": TestApp.now + 30.5])
    }

    @Test func bodyContentIsIgnored() throws {
        let app = try TestApp()
        try app.addUser()
        let r = app.send("POST", "/auth/logout", token: try app.token(), body: "{{{")
        #expect(r.status == 200)
    }

    @Test func databaseDownIs503() throws {
        let app = try TestApp()
        try app.addUser()
        app.store.down = true
        let r = app.send("POST", "/auth/logout", token: try app.token())
        #expect(r.status == 503 && r.object == strings(["error": "Service unavailable"]))
    }
}
