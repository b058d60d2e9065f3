import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET /auth/whoami: the token's user, without the password hash.
@Suite struct WhoAmIHandlerTests {
    @Test(arguments: ["/auth/whoami", "/api/auth/whoami"])
    func answersTheTokensUser(path: String) throws {
        let app = try TestApp()
        let alice = try app.addUser()
        try app.addUser("bob")
        let r = app.send("GET", path, token: try app.token())
        #expect(r.status == 200)
        #expect(
            r.object == [
                "message": .string("message"),
                "user_details": .object(
                    strings([
                        "id": "id-alice", "username": "alice",
                        "email": "alice@example.com"
                    ]))
            ])
        #expect(!r.text.contains(alice.passwordHash) && !r.text.contains("password"))
        #expect(r.header("Cache-Control") == nil)
    }

    @Test func databaseDownIs503NotATokenError() throws {
        let app = try TestApp()
        try app.addUser()
        app.store.down = true
        let r = app.send("GET", "/auth/whoami", token: try app.token())
        #expect(r.status == 503 && r.object == strings(["error": "Service unavailable"]))
        #expect(r.header("WWW-Authenticate") == nil)
    }
}
