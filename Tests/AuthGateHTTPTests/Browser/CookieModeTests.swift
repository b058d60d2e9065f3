import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Flask-JWT-Extended's cookie mode on every token route: cookies read
/// where the location allows, a header winning over a cookie, and the CSRF
/// double submit on JWT_CSRF_METHODS.
@Suite struct CookieModeTests {
    static let both = ["FLASK_JWT_TOKEN_LOCATION": #"["headers", "cookies"]"#]

    /// Logs in through the API; returns the Set-Cookie values by name.
    func loginCookies(_ app: TestApp) -> [String: String] {
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        var out: [String: String] = [:]
        for (name, value) in r.headers where name == "Set-Cookie" {
            let pair = value.prefix { $0 != ";" }
            if let eq = pair.firstIndex(of: "=") { out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...]) }
        }
        return out
    }

    func request(_ method: String, _ path: String, cookies: [String: String], headers: [String: String] = [:])
        -> Request
    {
        var all = headers
        all["cookie"] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        return Request(method: method, path: path, headers: all)
    }

    @Test func loginSetsFlasksFourCookiesHttpOnlyButTheCSRFOnes() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        let setCookies = r.headers.filter { $0.name == "Set-Cookie" }.map(\.value)
        #expect(setCookies.count == 4)
        for value in setCookies {
            #expect(value.hasSuffix("Path=/"))
            #expect(value.contains("HttpOnly") == !value.hasPrefix("csrf_"))
        }
        let cookies = loginCookies(app)
        let access = try app.services.tokens.verify(try #require(cookies["access_token_cookie"]), now: app.clock.now)
        #expect(access.csrf == cookies["csrf_access_token"])
        let refresh = try app.services.tokens.verify(try #require(cookies["refresh_token_cookie"]), now: app.clock.now)
        #expect(refresh.csrf == cookies["csrf_refresh_token"] && refresh.csrf != access.csrf)
    }

    @Test func headersOnlyByDefaultNoCookiesAndNoCSRFClaim() throws {
        let app = try TestApp()
        try app.addUser()
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        #expect(!r.headers.contains { $0.name == "Set-Cookie" })
        guard case .object(let tokens)? = r.object?["tokens"], let access = tokens["access"]?.stringValue else {
            Issue.record("no tokens"); return
        }
        #expect(try app.services.tokens.verify(access, now: app.clock.now).csrf == nil)
        // A cookie is not a token location: as before, the header is required.
        let cookie = app.send(request("GET", "/auth/whoami", cookies: ["access_token_cookie": access]))
        #expect(cookie.status == 401 && cookie.object?["error"] == .string("authorization_header"))
    }

    @Test func aCookieAuthenticatesGetsWithoutCSRF() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        for path in ["/auth/whoami", "/api/users/all"] {
            #expect(app.send(request("GET", path, cookies: cookies)).status == 200, "\(path)")
        }
        let refreshed = app.send(request("GET", "/auth/refresh", cookies: cookies))
        #expect(refreshed.status == 200 && refreshed.headers.filter { $0.name == "Set-Cookie" }.count == 2)
        // Tokens from an HttpOnly cookie stay in cookies: none in the body.
        #expect(refreshed.object == ["refresh": .bool(true)])
    }

    @Test(arguments: ["/auth/logout", "/auth/refresh"])
    func aCookieOnAPostNeedsTheMatchingCSRFHeader(path: String) throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        let csrf = path == "/auth/refresh" ? cookies["csrf_refresh_token"] : cookies["csrf_access_token"]
        let missing = app.send(request("POST", path, cookies: cookies))
        #expect(
            missing.status == 401
                && missing.object == [
                    "message": .string("Missing CSRF token"),
                    "error": .string("csrf_missing")
                ])
        let wrong = app.send(request("POST", path, cookies: cookies, headers: ["x-csrf-token": "not-it"]))
        #expect(
            wrong.status == 401
                && wrong.object == [
                    "message": .string("CSRF double submit tokens do not match"),
                    "error": .string("csrf_mismatch")
                ])
        // The other token's value is not this one's.
        let other = path == "/auth/refresh" ? cookies["csrf_access_token"] : cookies["csrf_refresh_token"]
        #expect(app.send(request("POST", path, cookies: cookies, headers: ["x-csrf-token": other ?? ""])).status == 401)
        #expect(app.store.revoked.isEmpty)
        let right = app.send(request("POST", path, cookies: cookies, headers: ["x-csrf-token": csrf ?? ""]))
        #expect(right.status == 200)
    }

    @Test func aHeaderWinsOverACookie() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        try app.addUser("bob")
        let cookies = loginCookies(app)  // alice's
        let bob = try app.token("bob")
        let r = app.send(request("GET", "/auth/whoami", cookies: cookies, headers: ["authorization": "Bearer \(bob)"]))
        #expect(r.status == 200 && r.object?["user_details"]?["username"] == .string("bob"))
        // ... and needs no CSRF value on a POST, as a header is no ambient credential.
        let out = app.send(
            request("POST", "/auth/logout", cookies: cookies, headers: ["authorization": "Bearer \(bob)"]))
        #expect(out.status == 200)
    }

    @Test func cookiesOnlyIgnoresTheHeader() throws {
        let app = try TestApp(environment: ["FLASK_JWT_TOKEN_LOCATION": "cookies"])
        try app.addUser()
        let r = app.send("GET", "/auth/whoami", token: try app.token())
        #expect(r.status == 401 && r.object?["error"] == .string("authorization_header"))
    }

    @Test func csrfProtectionOffAcceptsCookiePostsAsFlaskDoes() throws {
        let app = try TestApp(environment: Self.both.merging(["FLASK_JWT_COOKIE_CSRF_PROTECT": "false"]) { $1 })
        try app.addUser()
        let cookies = loginCookies(app)
        #expect(cookies["csrf_access_token"] == nil)
        #expect(app.send(request("POST", "/auth/logout", cookies: cookies)).status == 200)
    }

    @Test func logoutDeletesEveryCookieWithItsPathAndDomain() throws {
        let app = try TestApp(
            environment: Self.both.merging([
                "FLASK_JWT_COOKIE_DOMAIN": "example.com",
                "FLASK_JWT_COOKIE_SAMESITE": "Strict"
            ]) { $1 })
        try app.addUser()
        let cookies = loginCookies(app)
        let r = app.send(
            request(
                "POST", "/auth/logout", cookies: cookies,
                headers: ["x-csrf-token": cookies["csrf_access_token"] ?? ""]))
        let cleared = r.headers.filter { $0.name == "Set-Cookie" }.map(\.value)
        // The four with the Domain they were set with, then any host-only copies.
        #expect(cleared.count == 8)
        #expect(
            cleared.prefix(4).allSatisfy {
                $0.contains("=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0")
            })
        #expect(cleared.suffix(4).allSatisfy { $0.contains("=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0") })
        #expect(cleared.allSatisfy { $0.hasSuffix("Path=/; SameSite=Strict") })
    }

    @Test func headRefreshSetsNoCookie() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        let head = app.send(request("HEAD", "/auth/refresh", cookies: cookies))
        #expect(head.status == 200 && !head.headers.contains { $0.name == "Set-Cookie" })
    }

    // --- /auth/verify ---

    func verify(
        _ app: TestApp, cookies: [String: String], method: String = "GET", accept: String? = "text/html",
        csrf: String? = nil, uri: String? = "/app/page?x=1"
    ) -> Response {
        var r = request("GET", "/auth/verify", cookies: cookies, headers: accept.map { ["accept": $0] } ?? [:])
        r.originalMethod = method
        r.originalURI = uri
        if let csrf { r.headers["x-csrf-token"] = csrf }
        return app.send(r)
    }

    @Test func verifyReadsTheAccessCookieAndAppliesCSRFToTheOriginalMethod() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        #expect(verify(app, cookies: cookies).status == 200)
        #expect(verify(app, cookies: cookies, method: "POST").status == 401)
        #expect(verify(app, cookies: cookies, method: "POST", csrf: cookies["csrf_access_token"]).status == 200)
    }

    @Test func aRefusedBrowserNavigationLearnsWhereToSignIn() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let none = verify(app, cookies: [:])
        #expect(none.status == 401 && none.header("Location") == "/auth/sign-in?rd=/app/page%3Fx%3D1")
        // API clients and unsafe methods keep the JSON 401 alone.
        #expect(verify(app, cookies: [:], accept: "application/json").header("Location") == nil)
        #expect(verify(app, cookies: [:], accept: nil).header("Location") == nil)
        #expect(verify(app, cookies: [:], method: "POST").header("Location") == nil)
        // An original URI that is no safe path returns to /.
        #expect(verify(app, cookies: [:], uri: "//evil.example/").header("Location") == "/auth/sign-in?rd=/")
    }

    @Test func anExpiredAccessCookieWithARefreshCookieIsSentToTheBounce() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        app.clock.now += 901  // past the access token's 15 minutes
        let r = verify(app, cookies: cookies)
        #expect(r.status == 401 && r.header("Location") == "/auth/refresh-session?rd=/app/page%3Fx%3D1")
        // An access cookie that never arrives (a path that misses the page)
        // goes to sign in: the bounce could not help, and would loop.
        var noAccess = cookies
        noAccess["access_token_cookie"] = nil
        #expect(verify(app, cookies: noAccess).header("Location") == "/auth/sign-in?rd=/app/page%3Fx%3D1")
        // A forged or revoked access cookie goes to the sign-in page.
        var forged = cookies
        forged["access_token_cookie"] = "x.y.z"
        app.clock.now -= 901
        #expect(verify(app, cookies: forged).header("Location")?.hasPrefix("/auth/sign-in?") == true)
    }

    // --- review fixes ---

    @Test func aBasicAuthorizationHeaderIsNoTokenAndTheCookieIsRead() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        let r = app.send(request("GET", "/auth/whoami", cookies: cookies, headers: ["authorization": "Basic YTpi"]))
        #expect(r.status == 200)
        var v = request("GET", "/auth/verify", cookies: cookies, headers: ["authorization": "Basic YTpi"])
        v.originalMethod = "GET"
        #expect(app.send(v).status == 200)
    }

    @Test func getLogoutWithACookieNeedsTheCSRFValue() throws {
        let app = try TestApp(environment: Self.both)
        try app.addUser()
        let cookies = loginCookies(app)
        let link = app.send(request("GET", "/auth/logout", cookies: cookies))
        #expect(link.status == 401 && link.object?["error"] == .string("csrf_missing") && app.store.revoked.isEmpty)
        let head = app.send(request("HEAD", "/auth/logout", cookies: cookies))
        #expect(head.status == 200 && app.store.revoked.isEmpty)
        let proved = app.send(
            request(
                "GET", "/auth/logout", cookies: cookies,
                headers: ["x-csrf-token": cookies["csrf_access_token"] ?? ""]))
        #expect(proved.status == 200 && app.store.revoked.count == 1)
    }

    @Test func withRotationAGetRefreshWithACookieNeedsTheCSRFValue() throws {
        let app = try TestApp(environment: Self.both.merging(["AUTHGATE_REFRESH_ROTATION": "true"]) { $1 })
        try app.addUser()
        let cookies = loginCookies(app)
        let r = app.send(request("GET", "/auth/refresh", cookies: cookies))
        #expect(r.status == 401 && r.object?["error"] == .string("csrf_missing") && app.store.revoked.isEmpty)
        let ok = app.send(
            request(
                "GET", "/auth/refresh", cookies: cookies,
                headers: ["x-csrf-token": cookies["csrf_refresh_token"] ?? ""]))
        #expect(ok.status == 200 && ok.object == ["refresh": .bool(true)])
        #expect(ok.headers.filter { $0.name == "Set-Cookie" }.count == 4)  // rotated: both pairs
    }

    @Test func withADomainHostOnlyCopiesAreDeletedAtLoginAndLogout() throws {
        let app = try TestApp(environment: Self.both.merging(["FLASK_JWT_COOKIE_DOMAIN": "example.com"]) { $1 })
        try app.addUser()
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        let values = r.headers.filter { $0.name == "Set-Cookie" }.map(\.value)
        #expect(values.count == 8)
        #expect(values.prefix(4).allSatisfy { $0.contains("=; Expires=") && !$0.contains("Domain=") })
        #expect(values.suffix(4).allSatisfy { $0.contains("Domain=example.com") && !$0.contains("Max-Age=0") })
    }
}
