import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The handlers over the real SQLite store (the embedded default), in
/// process: a user's whole life, and the 409s the unique indexes decide.
@Suite struct SQLiteDispatcherTests {
    @Test func registerLoginWhoAmIListLogout() throws {
        let db = try SQLiteFixture()
        let app = try TestApp(userStore: try db.store())
        let register = app.send(
            "POST", "/auth/register", body: #"{"username": "zoë", "email": "Z@x.io", "password": "123456"}"#)
        #expect(register.status == 201)
        let login = app.send("POST", "/auth/login", body: #"{"username": "zoë", "password": "123456"}"#)
        #expect(login.status == 200)
        let tokens = try #require(login.object?["tokens"])
        let access = try #require(tokens["access"]?.stringValue)
        let refresh = try #require(tokens["refresh"]?.stringValue)

        let whoami = app.send("GET", "/auth/whoami", token: access)
        let details = try #require(whoami.object?["user_details"])
        #expect(details["username"] == .string("zoë") && details["email"] == .string("Z@x.io"))
        let list = app.send("GET", "/api/users/all", token: access)
        #expect(list.object?["total"] == .number(1))
        #expect(list.object?["users"] == .array([details]))

        #expect(app.send("POST", "/auth/logout", token: refresh).status == 200)
        #expect(app.send("POST", "/auth/refresh", token: refresh).object == TokenBodies.revoked)
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
        // The row is on disk with the fixed clock's time.
        #expect(try db.scalar("SELECT created_at FROM users") == "2023-11-14 22:15:00.000000")
        #expect(try db.scalar("SELECT type FROM token_blocklist") == "refresh")
        #expect(try db.scalar("SELECT password FROM users")?.hasPrefix("pbkdf2:sha256:1000$") == true)
    }

    @Test func conflictsAreDecidedByTheDatabase() throws {
        let db = try SQLiteFixture()
        let app = try TestApp(userStore: try db.store())
        let first = #"{"username": "bob", "email": "bob@x.io", "password": "123456"}"#
        #expect(app.send("POST", "/auth/register", body: first).status == 201)
        let sameName = app.send(
            "POST", "/auth/register", body: #"{"username": "bob", "email": "b2@x.io", "password": "123456"}"#)
        #expect(sameName.status == 409 && sameName.object == strings(["error": "User already exists"]))
        let sameEmail = app.send(
            "POST", "/auth/register", body: #"{"username": "rob", "email": "BOB@X.IO", "password": "123456"}"#)
        #expect(sameEmail.status == 409 && sameEmail.object == strings(["error": "Email already registered"]))
        #expect(try db.scalar("SELECT count(*) FROM users") == "1")
    }

    @Test func aDeletedUsersTokenIsUserNotFound() throws {
        let db = try SQLiteFixture()
        let app = try TestApp(userStore: try db.store())
        #expect(
            app.send("POST", "/auth/register", body: #"{"username": "gone", "email": "g@x.io", "password": "123456"}"#)
                .status == 201)
        let token = try app.token("gone")
        #expect(app.send("GET", "/auth/whoami", token: token).status == 200)
        try db.exec("DELETE FROM users WHERE username = 'gone'")
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.userNotFound)
    }
}
