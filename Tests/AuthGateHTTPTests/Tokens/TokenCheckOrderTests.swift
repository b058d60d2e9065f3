import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The token checks answer in the contract's order: header, signature and
/// alg, claims (exp, nbf, iat), type, revocation, user. Each case fails
/// two checks; the earlier one must answer.
@Suite struct TokenCheckOrderTests {
    let now = TestApp.now

    func app() throws -> TestApp {
        let app = try TestApp()
        try app.addUser()
        return app
    }

    @Test func signatureBeforeExpiry() throws {
        let app = try app()
        let token = try TokenForge.sign(payload: TokenForge.claims(["exp": .number(now - 10)]), key: "wrong")
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.invalid)
    }

    @Test func expiryBeforeType() throws {
        let app = try app()
        let token = try TokenForge.sign(payload: TokenForge.claims(["exp": .number(now - 5)], kind: "refresh"))
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.expired)
    }

    @Test func notBeforeBeforeType() throws {
        let app = try app()
        let token = try TokenForge.sign(payload: TokenForge.claims(["nbf": .number(now + 60)], kind: "refresh"))
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.invalid)
    }

    @Test func typeBeforeRevocationAndUser() throws {
        let app = try app()
        app.store.revoked["r"] = now + 900
        #expect(
            app.send("GET", "/auth/whoami", token: try app.token("ghost", kind: .refresh, jti: "r")).object
                == TokenBodies.accessOnly)
        #expect(
            app.send("GET", "/auth/refresh", token: try app.token("ghost", kind: .access, jti: "r")).object
                == TokenBodies.refreshOnly)
        #expect(app.store.calls == 0)
    }

    @Test func expiryBeforeRevocation() throws {
        let app = try app()
        let token = try app.token()
        #expect(app.send("POST", "/auth/logout", token: token).status == 200)
        app.clock.now = now + 900
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.expired)
    }

    @Test func revocationBeforeUser() throws {
        let app = try app()
        let token = try app.token()
        #expect(app.send("POST", "/auth/logout", token: token).status == 200)
        app.store.users.removeAll()
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.revoked)
    }

    @Test func headerBeforeEverything() throws {
        let app = try app()
        let token = try TokenForge.sign(
            payload: TokenForge.claims(["exp": .number(now - 5)], kind: "refresh"), key: "wrong")
        let r = app.send(Request(method: "GET", path: "/auth/whoami", headers: ["authorization": "Basic \(token)"]))
        #expect(r.object == TokenBodies.missing)
    }
}
