import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET|POST /auth/refresh: a refresh token buys a non-fresh access token.
@Suite struct RefreshHandlerTests {
    @Test(arguments: [
        ("GET", "/auth/refresh"), ("POST", "/auth/refresh"), ("GET", "/api/auth/refresh"),
        ("POST", "/api/auth/refresh")
    ])
    func answersANonFreshAccessToken(method: String, path: String) throws {
        let app = try TestApp()
        try app.addUser()
        app.clock.now = TestApp.now + 60
        let r = app.send(method, path, token: try app.token(kind: .refresh))
        #expect(r.status == 200)
        #expect(r.header("Cache-Control") == "no-store")
        let access = try #require(r.object?["access_token"]?.stringValue)
        let claims = try app.services.tokens.verify(access, now: app.clock.now)
        let now = Int64(TestApp.now) + 60
        #expect(
            claims
                == Claims(
                    subject: "alice", kind: .access, fresh: false, jti: claims.jti, issuedAt: now,
                    notBefore: now, expires: Double(now + 900)))
        #expect(claims.jti != "jti-1")
    }

    /// The body's content is ignored; its size and media type are not.
    @Test func bodyContentIsIgnoredButItsMediaTypeIsChecked() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try app.token(kind: .refresh)
        #expect(app.send("POST", "/auth/refresh", token: token, body: "not json at all").status == 200)
        #expect(app.send("POST", "/auth/refresh", token: token, body: "[1, 2]").status == 200)
        let plain = app.send(
            Request(
                method: "POST", path: "/auth/refresh",
                headers: ["authorization": "Bearer \(token)", "content-type": "text/plain"],
                body: Array("x".utf8)))
        #expect(plain.status == 415)
    }

    @Test func theRefreshedTokenServesWhoAmI() throws {
        let app = try TestApp()
        try app.addUser()
        let access = try #require(
            app.send("GET", "/auth/refresh", token: try app.token(kind: .refresh))
                .object?["access_token"]?.stringValue)
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
    }
}
