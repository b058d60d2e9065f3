import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// POST /auth/login through `Dispatcher` on a fixed clock (API.md, Login
/// and Tokens).
@Suite struct LoginHandlerTests {
    static let good = #"{"username": "alice", "password": "123456"}"#
    static let claimNames: Set<String> = ["sub", "type", "fresh", "jti", "iat", "nbf", "exp"]

    func tokens(_ r: Response) throws -> (access: String, refresh: String) {
        let tokens = try #require(r.object?["tokens"])
        return (try #require(tokens["access"]?.stringValue), try #require(tokens["refresh"]?.stringValue))
    }

    @Test(arguments: ["/auth/login", "/api/auth/login"])
    func answersTokensAndNoStore(path: String) throws {
        let app = try TestApp()
        try app.addUser()
        let r = app.send("POST", path, body: Self.good)
        #expect(r.status == 200)
        #expect(r.object?["message"] == .string("Logged in"))
        #expect(r.header("Cache-Control") == "no-store")
        let (access, refresh) = try tokens(r)
        let now = Int64(TestApp.now)
        let a = try app.services.tokens.verify(access, now: TestApp.now)
        #expect(
            a
                == Claims(
                    subject: "alice", kind: .access, fresh: true, jti: a.jti, issuedAt: now, notBefore: now,
                    expires: TestApp.now + 900))
        let f = try app.services.tokens.verify(refresh, now: TestApp.now)
        #expect(
            f
                == Claims(
                    subject: "alice", kind: .refresh, fresh: false, jti: f.jti, issuedAt: now, notBefore: now,
                    expires: TestApp.now + 2_592_000))
        #expect(a.jti != f.jti)
        for jti in [a.jti, f.jti] {
            let chars = Array(jti)
            #expect(chars.count == 36 && chars[14] == "4", "\(jti)")
        }
        // Exactly Flask-JWT-Extended's claims, no csrf.
        #expect(Set(try app.services.tokens.verifiedPayload(access).keys) == Self.claimNames)
        #expect(Set(try app.services.tokens.verifiedPayload(refresh).keys) == Self.claimNames)
    }

    @Test func lifetimesFollowTheConfiguration() throws {
        let app = try TestApp(environment: [
            "FLASK_JWT_ACCESS_TOKEN_EXPIRES": "60",
            "FLASK_JWT_REFRESH_TOKEN_EXPIRES": "3600"
        ])
        try app.addUser()
        let (access, refresh) = try tokens(app.send("POST", "/auth/login", body: Self.good))
        #expect(try app.services.tokens.verify(access, now: TestApp.now).expires == TestApp.now + 60)
        #expect(try app.services.tokens.verify(refresh, now: TestApp.now).expires == TestApp.now + 3600)
    }

    @Test func tokensAreIssuedAtTheClocksTime() throws {
        let app = try TestApp()
        try app.addUser()
        app.clock.now = TestApp.now + 5000
        let (access, _) = try tokens(app.send("POST", "/auth/login", body: Self.good))
        let claims = try app.services.tokens.verify(access, now: app.clock.now)
        #expect(claims.issuedAt == Int64(TestApp.now) + 5000 && claims.expires == TestApp.now + 5900)
    }

    /// Wrong password, unknown user, another letter case, and a stored hash
    /// AuthGate cannot read all give the same answer.
    @Test(arguments: [
        #"{"username": "alice", "password": "1234567"}"#,
        #"{"username": "alice", "password": ""}"#,
        #"{"username": "nobody", "password": "123456"}"#,
        #"{"username": "Alice", "password": "123456"}"#,
        #"{"username": "legacy", "password": "123456"}"#
    ])
    func badCredentialsAre400WithOneMessage(body: String) throws {
        let app = try TestApp()
        try app.addUser()
        app.store.users.append(
            UserRecord(id: "legacy", username: "legacy", email: "l@x.io", passwordHash: "md5$x$123456"))
        let r = app.send("POST", "/auth/login", body: body)
        #expect(r.status == 400)
        #expect(r.object == strings(["error": "Invalid username or password"]))
        #expect(r.header("Cache-Control") == nil)
    }

    @Test(arguments: [
        ("{}", "username"), (#"{"password": "123456"}"#, "username"),
        (#"{"username": null, "password": "123456"}"#, "username"),
        (#"{"username": 7, "password": "123456"}"#, "username"),
        (#"{"username": "\ud800", "password": "123456"}"#, "username"),
        (#"{"username": "alice"}"#, "password"), (#"{"username": "alice", "password": null}"#, "password"),
        (#"{"username": "alice", "password": 123456}"#, "password"),
        (#"{"username": "alice", "password": {"p": 1}}"#, "password")
    ])
    func missingOrNonStringFieldIs400NamingIt(body: String, field: String) throws {
        let app = try TestApp()
        try app.addUser()
        let r = app.send("POST", "/auth/login", body: body)
        #expect(r.status == 400)
        let message = try #require(r.object?["error"]?.stringValue)
        #expect(message.contains(field), "\(message)")
    }

    @Test func aRegisteredUserLogsIn() throws {
        let app = try TestApp()
        let register = app.send(
            "POST", "/auth/register",
            body: #"{"username": "dora", "email": "d@x.io", "password": "s3cret-é"}"#)
        #expect(register.status == 201)
        let r = app.send("POST", "/api/auth/login", body: #"{"username": "dora", "password": "s3cret-é"}"#)
        #expect(r.status == 200)
        let (access, _) = try tokens(r)
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
    }

    @Test func databaseDownIs503() throws {
        let app = try TestApp()
        app.store.down = true
        let r = app.send("POST", "/auth/login", body: Self.good)
        #expect(r.status == 503 && r.object == strings(["error": "Service unavailable"]))
    }

    /// `delete-user` landing while the password is being checked (the hash
    /// check may wait in the KDF queue): no token for a user who is gone,
    /// nor for one who took the name meanwhile.
    @Test(arguments: [false, true])
    func aUserDeletedDuringTheHashCheckGetsNoToken(registeredAgain: Bool) throws {
        let app = try TestApp()
        try app.addUser()
        app.store.afterUserLookup = { [store = app.store] in
            store.afterUserLookup = nil
            store.users.removeAll()
            if registeredAgain {
                store.users.append(
                    UserRecord(
                        id: "id-stranger", username: "alice", email: "s@x.io",
                        passwordHash: store.users.first?.passwordHash ?? ""))
            }
        }
        let r = app.send("POST", "/auth/login", body: Self.good)
        #expect(r.status == 400 && r.object == strings(["error": "Invalid username or password"]))
    }
}
