import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The sign-in page, sign-out and the session-refresh bounce of cookie mode.
@Suite struct SignInTests {
    static let cookieMode = ["FLASK_JWT_TOKEN_LOCATION": #"["headers", "cookies"]"#]

    func text(_ r: Response) -> String { String(decoding: r.body, as: UTF8.self) }

    func setCookies(_ r: Response) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in r.headers where name == "Set-Cookie" {
            let pair = value.prefix { $0 != ";" }
            if let eq = pair.firstIndex(of: "=") { out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...]) }
        }
        return out
    }

    func cookieHeader(_ cookies: [String: String]) -> String {
        cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
    }

    func form(_ fields: [(String, String)]) -> [UInt8] {
        Array(fields.map { "\($0.0)=\(URLComponent.encode($0.1))" }.joined(separator: "&").utf8)
    }

    func post(
        _ app: TestApp, _ path: String, _ fields: [(String, String)], cookies: [String: String],
        headers: [String: String] = [:]
    ) -> Response {
        var all = headers
        all["cookie"] = cookieHeader(cookies)
        all["content-type"] = "application/x-www-form-urlencoded"
        return app.send(Request(method: "POST", path: path, headers: all, body: form(fields)))
    }

    /// GET the page; returns its form token (also the cookie's).
    func formToken(_ app: TestApp) throws -> String {
        let page = app.send("GET", "/auth/sign-in", query: "rd=/app/")
        return try #require(setCookies(page)[SignInFormToken.cookieName])
    }

    func signIn(_ app: TestApp, password: String = "123456", rd: String = "/app/") throws -> Response {
        let token = try formToken(app)
        return post(
            app, "/auth/sign-in",
            [
                ("username", "alice"), ("password", password), ("rd", rd),
                (SignInFormToken.field, token)
            ],
            cookies: [SignInFormToken.cookieName: token])
    }

    @Test func withoutCookieModeThereIsNoPage() throws {
        let app = try TestApp()
        for (method, path) in [
            ("GET", "/auth/sign-in"), ("POST", "/auth/sign-in"), ("POST", "/auth/sign-out"),
            ("GET", "/auth/refresh-session")
        ] {
            let r = app.send(
                Request(method: method, path: path, headers: ["content-type": "application/x-www-form-urlencoded"]))
            #expect(r.status == 404 && r.contentType == "application/json", "\(method) \(path)")
        }
    }

    @Test func thePageIsAnAccessibleFormUnderAStrictPolicy() throws {
        let app = try TestApp(environment: Self.cookieMode)
        let r = app.send("GET", "/auth/sign-in", query: "rd=%2Fapp%2F%3Fa%3D1%26b%3D%22x%22")
        #expect(r.status == 200 && r.contentType == "text/html; charset=utf-8")
        let csp = try #require(r.header("Content-Security-Policy"))
        #expect(csp.hasPrefix("default-src 'none'; style-src 'sha256-") && csp.contains("frame-ancestors 'none'"))
        #expect(csp.contains("form-action 'self'") && !csp.contains("script-src"))
        #expect(r.header("X-Frame-Options") == "DENY" && r.header("Cache-Control") == "no-store")
        let html = text(r)
        #expect(html.contains(#"<html lang="en">"#) && html.contains(#"<label for="username">"#))
        #expect(html.contains(#"autocomplete="current-password""#) && !html.contains("<script"))
        #expect(html.contains(#"name="rd" value="/app/?a=1&amp;b=&quot;x&quot;""#))
        let cookie = try #require(r.headers.first { $0.name == "Set-Cookie" }?.value)
        #expect(
            cookie.hasPrefix(SignInFormToken.cookieName + "=") && cookie.hasSuffix("HttpOnly; Path=/; SameSite=Strict"))
        // The policy's hash is the inline style's.
        let digest = try Crypto.sha256(Array(SignInPage.style.utf8))
        #expect(
            csp.contains("'sha256-\(Base64URL.standard(digest))'")
                && html.contains("<style>\(SignInPage.style)</style>"))
    }

    @Test func aSecondTabKeepsTheFormTokenItsBrowserHas() throws {
        let app = try TestApp(environment: Self.cookieMode)
        let token = try formToken(app)
        let second = app.send(
            Request(
                method: "GET", path: "/auth/sign-in",
                headers: ["cookie": "\(SignInFormToken.cookieName)=\(token)"]))
        #expect(!second.headers.contains { $0.name == "Set-Cookie" } && text(second).contains(token))
    }

    @Test func signingInSetsTheCookiesAndReturnsToRd() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let r = try signIn(app, rd: "/app/page?x=1")
        #expect(r.status == 303 && r.header("Location") == "/app/page?x=1")
        let cookies = setCookies(r)
        #expect(
            Set(cookies.keys) == [
                "access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token"
            ])
        let whoami = app.send(Request(method: "GET", path: "/auth/whoami", headers: ["cookie": cookieHeader(cookies)]))
        #expect(whoami.status == 200)
    }

    @Test(arguments: ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
    func anUnsafeRdReturnsToTheSiteRoot(rd: String) throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let r = try signIn(app, rd: rd)
        #expect(r.status == 303 && r.header("Location") == "/")
    }

    @Test func aWrongPasswordReRendersTheFormWithOneMessage() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let wrong = try signIn(app, password: "nope-nope")
        #expect(wrong.status == 400 && text(wrong).contains(SignInHandler.refusedMessage))
        #expect(!wrong.headers.contains { $0.name == "Set-Cookie" && $0.value.hasPrefix("access_token_cookie") })
        // An unknown user reads the same.
        let token = try formToken(app)
        let unknown = post(
            app, "/auth/sign-in",
            [
                ("username", "mallory"), ("password", "123456"), ("rd", "/app/"),
                (SignInFormToken.field, token)
            ],
            cookies: [SignInFormToken.cookieName: token])
        #expect(unknown.status == 400 && text(unknown).contains(SignInHandler.refusedMessage))
        #expect(text(unknown).contains(#"value="mallory""#))
    }

    @Test func aPostWithoutTheFormTokenOrFromAnotherSiteIsRefusedBeforeThePassword() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let fields = [("username", "alice"), ("password", "123456"), ("rd", "/app/")]
        let noCookie = post(
            app, "/auth/sign-in", fields + [(SignInFormToken.field, String(repeating: "a", count: 64))],
            cookies: [:])
        #expect(noCookie.status == 403 && setCookies(noCookie)["access_token_cookie"] == nil)
        let token = try formToken(app)
        let other = String(repeating: "b", count: 64)
        let mismatch = post(
            app, "/auth/sign-in", fields + [(SignInFormToken.field, other)],
            cookies: [SignInFormToken.cookieName: token])
        #expect(mismatch.status == 403)
        let crossSite = post(
            app, "/auth/sign-in", fields + [(SignInFormToken.field, token)],
            cookies: [SignInFormToken.cookieName: token], headers: ["sec-fetch-site": "cross-site"])
        #expect(crossSite.status == 403 && setCookies(crossSite)["access_token_cookie"] == nil)
    }

    @Test func aSiblingSubdomainsPostIsRefusedAndSecureCookiesUseTheHostPrefix() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let token = try formToken(app)
        let sameSite = post(
            app, "/auth/sign-in",
            [
                ("username", "alice"), ("password", "123456"), ("rd", "/"),
                (SignInFormToken.field, token)
            ],
            cookies: [SignInFormToken.cookieName: token], headers: ["sec-fetch-site": "same-site"])
        #expect(sameSite.status == 403)
        let secure = try TestApp(environment: Self.cookieMode.merging(["FLASK_JWT_COOKIE_SECURE": "true"]) { $1 })
        let page = secure.send("GET", "/auth/sign-in")
        #expect(page.headers.first { $0.name == "Set-Cookie" }?.value.hasPrefix("__Host-authgate_signin=") == true)
    }

    @Test func theFormMayPostToAnAllowedHostOnAnyPort() throws {
        let app = try TestApp(
            environment: Self.cookieMode.merging(["AUTHGATE_REDIRECT_HOSTS": "app.example.com,.corp.example"]) { $1 })
        let csp = try #require(app.send("GET", "/auth/sign-in").header("Content-Security-Policy"))
        #expect(
            csp.contains(
                "form-action 'self' http://app.example.com:* https://app.example.com:* http://*.corp.example:* https://*.corp.example:*;"
            ))
    }

    @Test func aSecureCookieOnPlainHTTPIsExplainedNotLooped() throws {
        let app = try TestApp(environment: Self.cookieMode.merging(["FLASK_JWT_COOKIE_SECURE": "true"]) { $1 })
        let r = app.send(Request(method: "GET", path: "/auth/sign-in", headers: ["x-authgate-scheme": "http"]))
        #expect(r.status == 500 && text(r).contains("FLASK_JWT_COOKIE_SECURE"))
        let https = app.send(Request(method: "GET", path: "/auth/sign-in", headers: ["x-authgate-scheme": "https"]))
        #expect(https.status == 200)
    }

    @Test func aCookieDomainThatDoesNotCoverTheHostIsExplained() throws {
        let app = try TestApp(environment: Self.cookieMode.merging(["FLASK_JWT_COOKIE_DOMAIN": "example.com"]) { $1 })
        let bad = app.send(Request(method: "GET", path: "/auth/sign-in", headers: ["host": "app.other.test:8080"]))
        #expect(bad.status == 500 && text(bad).contains("FLASK_JWT_COOKIE_DOMAIN"))
        for host in ["example.com", "app.example.com:8443"] {
            #expect(app.send(Request(method: "GET", path: "/auth/sign-in", headers: ["host": host])).status == 200)
        }
    }

    @Test func signOutNeedsTheCSRFValueRevokesBothAndClearsEveryCookie() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let cookies = setCookies(try signIn(app))
        let refused = post(app, "/auth/sign-out", [], cookies: cookies)
        #expect(refused.status == 401 && app.store.revoked.isEmpty)
        let crossSite = post(
            app, "/auth/sign-out", [("csrf_token", cookies["csrf_access_token"] ?? "")],
            cookies: cookies, headers: ["sec-fetch-site": "cross-site"])
        #expect(crossSite.status == 401 && app.store.revoked.isEmpty)
        let r = post(app, "/auth/sign-out", [("csrf_token", cookies["csrf_access_token"] ?? "")], cookies: cookies)
        #expect(r.status == 303 && r.header("Location") == "/auth/sign-in?signed_out=1")
        #expect(app.store.revoked.count == 2)
        #expect(r.headers.filter { $0.name == "Set-Cookie" && $0.value.contains("Max-Age=0") }.count == 4)
        let after = app.send(Request(method: "GET", path: "/auth/whoami", headers: ["cookie": cookieHeader(cookies)]))
        #expect(after.object?["error"] == .string("token_revoked"))
    }

    /// A page left open past the access token's lifetime sends the CSRF
    /// value it read then: it still signs out, and the refresh token ends.
    @Test func signOutWorksWithTheCSRFValueOfAnExpiredAccessToken() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let cookies = setCookies(try signIn(app))
        app.clock.now += 901
        let r = post(app, "/auth/sign-out", [("csrf_token", cookies["csrf_access_token"] ?? "")], cookies: cookies)
        #expect(r.status == 303 && app.store.revoked.count == 1)
        let refresh = app.send(
            Request(method: "GET", path: "/auth/refresh", headers: ["cookie": cookieHeader(cookies)]))
        #expect(refresh.object?["error"] == .string("token_revoked"))
        // The value of another session's token is refused, expired access token or not.
        let live = setCookies(try signIn(app))
        let other = setCookies(try signIn(app))
        app.clock.now += 901
        let mismatch = post(app, "/auth/sign-out", [("csrf_token", other["csrf_access_token"] ?? "")], cookies: live)
        #expect(mismatch.status == 401 && mismatch.object?["error"] == .string("csrf_mismatch"))
        #expect(app.store.revoked.count == 1)
    }

    @Test func theBounceRenewsAnExpiredAccessCookieAndReturns() throws {
        let app = try TestApp(environment: Self.cookieMode)
        try app.addUser()
        let cookies = setCookies(try signIn(app))
        app.clock.now += 901
        let r = app.send(
            Request(
                method: "GET", path: "/auth/refresh-session", queryString: "rd=%2Fapp%2Fx",
                headers: ["cookie": cookieHeader(cookies)]))
        #expect(r.status == 303 && r.header("Location") == "/app/x")
        let renewed = setCookies(r)
        #expect(
            renewed["access_token_cookie"] != nil && renewed["access_token_cookie"] != cookies["access_token_cookie"])
        // Without a working refresh cookie: to the sign-in page, cookies deleted, no loop.
        let dead = app.send(
            Request(
                method: "GET", path: "/auth/refresh-session", queryString: "rd=%2Fapp%2Fx",
                headers: ["cookie": "refresh_token_cookie=x.y.z"]))
        #expect(dead.status == 303 && dead.header("Location") == "/auth/sign-in?rd=/app/x")
        #expect(dead.headers.filter { $0.name == "Set-Cookie" && $0.value.contains("Max-Age=0") }.count == 4)
    }

    @Test func theSignInPostRunsOnTheKeyDerivationLaneAndIsAudited() throws {
        let route = try Routes.router.route(method: "POST", path: "/auth/sign-in")
        #expect(route.lane == .keyDerivation && route.body == .form)
        let app = try TestApp(environment: Self.cookieMode)
        let json = app.send(
            Request(
                method: "POST", path: "/auth/sign-in", headers: ["content-type": "application/json"],
                body: Array("{}".utf8)))
        #expect(json.status == 415)
    }
}
