import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The opt-in login throttle through `Dispatcher` on a fixed clock: keyed
/// by (username, client address), checked before any hashing, identical
/// for unknown users and wrong passwords, cleared by a success.
@Suite struct LoginThrottleHandlerTests {
    static let throttled = [
        "AUTHGATE_LOGIN_THROTTLE": "true", "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES": "3",
        "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": "60"
    ]

    func login(_ app: TestApp, _ username: String, _ password: String, from address: String = "198.51.100.7")
        -> Response
    {
        var request = Request(
            method: "POST", path: "/auth/login", headers: ["content-type": "application/json"],
            body: Array(#"{"username": "\#(username)", "password": "\#(password)"}"#.utf8))
        request.remoteAddress = address
        return app.send(request)
    }

    /// Status, body and every header of a response, as a client compares them.
    func answer(_ r: Response) -> String {
        let (head, body) = r.wire
        return head + String(decoding: body, as: UTF8.self)
    }

    @Test func afterMaxFailuresTheNextAttemptIs429WithRetryAfter() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for _ in 0..<3 { #expect(login(app, "alice", "wrong!").status == 400) }
        let r = login(app, "alice", "123456")  // even the right password
        #expect(r.status == 429)
        #expect(r.object == strings(["error": "Too many failed login attempts"]))
        #expect(r.header("Retry-After") == "60")
        app.clock.now += 45
        #expect(login(app, "alice", "123456").header("Retry-After") == "15")
    }

    @Test func aThrottledAttemptReadsOnlyTheCounter() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for _ in 0..<3 { _ = login(app, "alice", "wrong!") }
        let callsBefore = app.store.calls
        let loginCallsBefore = app.store.loginCalls.count
        #expect(login(app, "alice", "123456").status == 429)
        // One read of the counter: no user lookup, so no hash was checked.
        #expect(app.store.calls - callsBefore == 1)
        #expect(Array(app.store.loginCalls.dropFirst(loginCallsBefore)) == ["read"])
    }

    @Test func theWindowClosesAndCountingStartsAgain() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for _ in 0..<3 { _ = login(app, "alice", "wrong!") }
        app.clock.now += 60
        #expect(login(app, "alice", "wrong!").status == 400)
        #expect(
            app.store.loginFailures["alice|198.51.100.7"] == LoginFailures(failures: 1, windowStartedAt: app.clock.now))
        #expect(login(app, "alice", "123456").status == 200)
    }

    @Test func anotherAddressIsNeverThrottledBySomeoneElsesFailures() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for _ in 0..<10 { _ = login(app, "alice", "wrong!", from: "203.0.113.66") }
        #expect(login(app, "alice", "wrong!", from: "203.0.113.66").status == 429)
        #expect(login(app, "alice", "123456", from: "198.51.100.7").status == 200)
        // And another user from the attacker's address is not throttled either.
        try app.addUser("bob")
        #expect(login(app, "bob", "123456", from: "203.0.113.66").status == 200)
    }

    @Test func aSuccessClearsThePairsCount() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for _ in 0..<2 { _ = login(app, "alice", "wrong!") }
        #expect(login(app, "alice", "123456").status == 200)
        #expect(app.store.loginFailures.isEmpty)
        for _ in 0..<2 { #expect(login(app, "alice", "wrong!").status == 400) }
        #expect(login(app, "alice", "123456").status == 200)
    }

    /// The same answers, headers included, and the same store work, step
    /// by step, for a name that does not exist and a wrong password.
    @Test func unknownUsersAndWrongPasswordsAreIndistinguishable() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        var unknown: [String] = [], wrong: [String] = []
        var unknownCalls: [[String]] = [], wrongCalls: [[String]] = []
        for _ in 0..<5 {
            var mark = app.store.loginCalls.count
            unknown.append(answer(login(app, "nobody", "wrong!")))
            unknownCalls.append(Array(app.store.loginCalls.dropFirst(mark)))
            mark = app.store.loginCalls.count
            wrong.append(answer(login(app, "alice", "wrong!")))
            wrongCalls.append(Array(app.store.loginCalls.dropFirst(mark)))
        }
        #expect(unknown == wrong)
        #expect(unknownCalls == wrongCalls)
        #expect(unknownCalls == [["read", "record"], ["read", "record"], ["read", "record"], ["read"], ["read"]])
        #expect(wrong[3].contains("Status: 429"))
    }

    @Test func offByDefaultNothingIsCountedOrRefused() throws {
        let app = try TestApp()
        try app.addUser()
        for _ in 0..<20 { #expect(login(app, "alice", "wrong!").status == 400) }
        #expect(login(app, "alice", "123456").status == 200)
        #expect(app.store.loginCalls.isEmpty)
    }

    @Test func aThrottledLoginIsLoggedWithoutThePassword() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for _ in 0..<3 { _ = login(app, "alice", "wrong!") }
        let capture = LogCapture()
        var request = Request(
            method: "POST", path: "/auth/login", headers: ["content-type": "application/json"],
            body: Array(#"{"username": "alice", "password": "s3cret-guess"}"#.utf8),
            logger: capture.logger)
        request.remoteAddress = "198.51.100.7"
        #expect(app.send(request).status == 429)
        let lines = capture.entries.filter { $0.message == "login throttled" }
        try #require(lines.count == 1)
        #expect(lines[0].metadata["username"] == "alice" && lines[0].metadata["client.address"] == "198.51.100.7")
        #expect(!capture.entries.contains { $0.text.contains("s3cret-guess") })
    }

    @Test func aDatabaseOutageIs503NotALogin() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        app.store.down = true
        let r = login(app, "alice", "123456")
        #expect(r.status == 503 && r.object == strings(["error": "Service unavailable"]))
    }
}

extension LoginThrottleHandlerTests {
    /// One IPv6 subscriber normally holds a whole /64: its addresses share a count.
    @Test func ipv6AddressesOfOneSlash64ShareACount() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        for host in 1...3 { #expect(login(app, "alice", "wrong!", from: "2001:db8:1:2::\(host)").status == 400) }
        #expect(login(app, "alice", "123456", from: "2001:db8:1:2:aaaa::99").status == 429)
        #expect(app.store.loginFailures["alice|2001:db8:1:2::/64"]?.failures == 3)
        #expect(login(app, "alice", "123456", from: "2001:db8:1:3::1").status == 200)  // another /64
    }

    /// No REMOTE_ADDR would put every client in one count (anyone could
    /// lock any username out): refused as a deployment error, nothing counted.
    @Test func noClientAddressIsAServerErrorAndCountsNothing() throws {
        let app = try TestApp(environment: Self.throttled)
        try app.addUser()
        let capture = LogCapture()
        var request = Request(
            method: "POST", path: "/auth/login", headers: ["content-type": "application/json"],
            body: Array(#"{"username": "alice", "password": "wrong!"}"#.utf8), logger: capture.logger)
        request.remoteAddress = ""
        let r = app.send(request)
        #expect(r.status == 500 && r.object == strings(["error": "Internal server error"]))
        #expect(app.store.loginFailures.isEmpty)
        #expect(capture.entries.contains { $0.level == .error && $0.text.contains("REMOTE_ADDR") })
    }

    /// Off, an empty address changes nothing (drop-in).
    @Test func offNoClientAddressIsFine() throws {
        let app = try TestApp()
        try app.addUser()
        #expect(login(app, "alice", "123456", from: "").status == 200)
    }
}
