import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET /auth/verify (contract v1.2, forward auth). The token error matrix
/// runs on it too (ProtectedRoute.accessRoutes); these are its own rules.
@Suite struct VerifyHandlerTests {
    static let fresh = strings(["message": "Fresh token required", "error": "fresh_token_required"])

    func app(_ environment: [String: String] = [:]) throws -> TestApp {
        let app = try TestApp(environment: environment)
        try app.addUser()
        return app
    }

    func token(
        _ app: TestApp, fresh: Bool = false, issuedAt: Int64 = Int64(TestApp.now), name: String = "alice",
        jti: String = "jti-v"
    ) throws -> String {
        try app.services.tokens.sign(
            Claims(
                subject: name, kind: .access, fresh: fresh, jti: jti, issuedAt: issuedAt,
                notBefore: issuedAt, expires: Double(issuedAt) + 900))
    }

    func verify(
        _ app: TestApp, query: String = "", method: String = "GET", headers: [String: String] = [:],
        originalMethod: String? = nil, path: String = "/auth/verify"
    ) -> Response {
        var request = Request(method: method, path: path, queryString: query, headers: headers)
        request.originalMethod = originalMethod
        return app.send(request)
    }

    func expect401(
        _ r: Response, _ body: [String: JSONValue], _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == 401 && r.header("WWW-Authenticate") == "Bearer", comment, sourceLocation: sourceLocation)
        #expect(r.object == body, comment, sourceLocation: sourceLocation)
        // The body again, byte for byte, for nginx's auth_request_set.
        #expect(r.header("X-Auth-Error") == r.text, comment, sourceLocation: sourceLocation)
    }

    @Test(arguments: ["/auth/verify", "/api/auth/verify"])
    func aValidAccessTokenIs200WithTheIdentityAndNoBody(path: String) throws {
        let app = try app()
        let r = verify(app, headers: ["authorization": "Bearer \(try token(app))"], path: path)
        #expect(r.status == 200 && r.body.isEmpty)
        #expect(r.header("X-Auth-User") == "alice" && r.header("X-Auth-User-Id") == "id-alice")
        #expect(r.header("X-Auth-Error") == nil && r.header("WWW-Authenticate") == nil)
    }

    @Test func theTokensAMRGoesOnEncodedAndNoneIsEmpty() throws {
        let app = try app()
        func amrHeader(_ amr: [String]?) throws -> String? {
            let now = Int64(TestApp.now)
            let token = try app.services.tokens.sign(
                Claims(
                    subject: "alice", kind: .access, fresh: false, jti: "jti-amr", issuedAt: now, notBefore: now,
                    expires: Double(now) + 900, amr: amr))
            let r = verify(app, headers: ["authorization": "Bearer \(token)"])
            #expect(r.status == 200)
            return r.header("X-Auth-AMR")
        }
        #expect(try amrHeader(["pwd", "otp"]) == "pwd,otp")
        #expect(try amrHeader(["hwk", "user"]) == "hwk,user")
        #expect(try amrHeader(nil) == "")  // nginx sends no header for an empty value
        #expect(try amrHeader(["pwd", "a,b\r\n"]) == "pwd,a%2Cb%0D%0A")  // another issuer's: one method, one item
    }

    @Test func headIsTheSameHeadWithoutABody() throws {
        let app = try app()
        let auth = ["authorization": "Bearer \(try token(app))"]
        let head = verify(app, method: "HEAD", headers: auth), get = verify(app, headers: auth)
        #expect(head.status == 200 && head.wire.body.isEmpty && head.wire.head == get.wire.head)
        let refused = verify(app, method: "HEAD")
        #expect(refused.status == 401 && refused.wire.body.isEmpty && refused.header("X-Auth-Error") != nil)
    }

    @Test func otherMethodsAre405AndOptionsListsGetAndHead() throws {
        let app = try app()
        let post = verify(app, method: "POST")
        #expect(post.status == 405 && post.header("Allow") == "GET, HEAD, OPTIONS")
        #expect(verify(app, method: "OPTIONS").header("Allow") == "GET, HEAD, OPTIONS")
    }

    @Test func refusalsCarryTheirBodyAsXAuthError() throws {
        let app = try app()
        expect401(verify(app), TokenBodies.missing)
        expect401(verify(app, headers: ["authorization": "Bearer x"]), TokenBodies.invalid)
        expect401(
            verify(app, headers: ["authorization": "Bearer \(try app.token(kind: .refresh))"]), TokenBodies.accessOnly)
        expect401(
            verify(app, headers: ["authorization": "Bearer \(try token(app, name: "ghost"))"]), TokenBodies.userNotFound
        )
    }

    @Test func logoutAndRevokeUserTakeEffectAtOnce() throws {
        let app = try app()
        let auth = ["authorization": "Bearer \(try token(app))"]
        #expect(verify(app, headers: auth).status == 200)
        #expect(app.send(Request(method: "POST", path: "/auth/logout", headers: auth)).status == 200)
        expect401(verify(app, headers: auth), TokenBodies.revoked)
        let other = ["authorization": "Bearer \(try token(app, jti: "jti-w"))"]
        #expect(verify(app, headers: other).status == 200)
        app.store.notBefore["alice"] = Int64(TestApp.now) + 1
        expect401(verify(app, headers: other), TokenBodies.revoked)
    }

    @Test func aDeletedUserIsUserNotFound() throws {
        let app = try app()
        let auth = ["authorization": "Bearer \(try token(app))"]
        app.store.users.removeAll()
        expect401(verify(app, headers: auth), TokenBodies.userNotFound)
    }

    @Test func freshRequiresALoginToken() throws {
        let app = try app()
        let stale = ["authorization": "Bearer \(try token(app))"]
        let fresh = ["authorization": "Bearer \(try token(app, fresh: true, jti: "jti-f"))"]
        expect401(verify(app, query: "fresh=1", headers: stale), Self.fresh)
        #expect(verify(app, query: "fresh=1", headers: fresh).status == 200)
        #expect(verify(app, query: "fresh=0", headers: stale).status == 200)
        // The token's own errors come first, in contract order.
        expect401(
            verify(app, query: "fresh=1", headers: ["authorization": "Bearer \(try app.token(kind: .refresh))"]),
            TokenBodies.accessOnly)
        // The login route's own token is fresh.
        let login = app.send("POST", "/auth/login", body: LoginHandlerTests.good)
        let access = try #require(login.object?["tokens"]?["access"]?.stringValue)
        #expect(verify(app, query: "fresh=1", headers: ["authorization": "Bearer \(access)"]).status == 200)
    }

    @Test func maxAgeRefusesOlderTokensTheSameWay() throws {
        let app = try app()
        let issued = Int64(TestApp.now) - 300
        let auth = ["authorization": "Bearer \(try token(app, fresh: true, issuedAt: issued))"]
        #expect(verify(app, query: "max_age=300", headers: auth).status == 200)  // exactly 300 s old
        expect401(verify(app, query: "max_age=299", headers: auth), Self.fresh)
        expect401(verify(app, query: "max_age=0", headers: auth), Self.fresh)
        #expect(verify(app, query: "max_age=9223372036854775807", headers: auth).status == 200)
        expect401(verify(app, query: "fresh=1&max_age=10", headers: auth), Self.fresh)
    }

    @Test func theLeewayWidensTheAgeAsItWidensExp() throws {
        let app = try app(["FLASK_JWT_DECODE_LEEWAY": "30"])
        let auth = ["authorization": "Bearer \(try token(app, issuedAt: Int64(TestApp.now) - 320))"]
        #expect(verify(app, query: "max_age=300", headers: auth).status == 200)
        expect401(verify(app, query: "max_age=289", headers: auth), Self.fresh)
    }

    @Test(arguments: [
        ("fresh=", "fresh"), ("fresh=true", "fresh"), ("fresh=2", "fresh"), ("fresh=%201", "fresh"),
        ("max_age=", "max_age"), ("max_age=-1", "max_age"), ("max_age=1.5", "max_age"),
        ("max_age=+5", "max_age"), ("max_age=9223372036854775808", "max_age"), ("max_age=abc", "max_age")
    ])
    func badRequirementsAre400NamingTheParameterWhateverTheToken(query: String, name: String) throws {
        let app = try app()
        for headers in [[:], ["authorization": "Bearer \(try token(app, fresh: true))"]] {
            let r = verify(app, query: query, headers: headers)
            #expect(r.status == 400 && r.header("X-Auth-Error") == nil, "\(query)")
            #expect(r.object?["error"]?.stringValue?.contains(name) == true, "\(query): \(r.text)")
        }
    }

    @Test func databaseDownIs503NotATokenError() throws {
        let app = try app()
        let auth = ["authorization": "Bearer \(try token(app))"]
        app.store.down = true
        let r = verify(app, headers: auth)
        #expect(r.status == 503 && r.header("WWW-Authenticate") == nil && r.header("X-Auth-Error") == nil)
    }

    // --- identity header values ---

    @Test(arguments: [
        ("alice", "alice"), ("a.b-c_d@x!~'*", "a.b-c_d@x!~'*"), ("100%", "100%25"),
        ("\u{E9}", "%C3%A9"), ("e\u{301}", "e%CC%81"), ("a b", "a%20b"), ("a\r\nX-Evil: 1", "a%0D%0AX-Evil:%201"),
        ("nul\u{0}", "nul%00"), ("tab\t", "tab%09"), ("del\u{7F}", "del%7F"), ("\u{1F600}", "%F0%9F%98%80"),
        // What list-splitting and quoted-string parsers read as syntax.
        ("a,b", "a%2Cb"), ("say\"hi\"", "say%22hi%22"), ("k;v", "k%3Bv"), ("back\\slash", "back%5Cslash"),
        ("a+b", "a%2Bb")
    ])
    func identityValuesAreVisibleASCIIAndDecodeBack(name: String, header: String) {
        let encoded = IdentityHeaderValue.encode(name)
        #expect(encoded == header)
        #expect(encoded.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E })
        #expect(encoded.removingPercentEncodingForTest() == Array(name.utf8))
    }

    @Test func aNameRegistrationAllowsButAHeaderCannotHoldIsSentEncoded() throws {
        let app = try TestApp()
        let name = "J\u{F6}rg\u{2603}"  // registration allows it: no whitespace, no control
        #expect(
            app.send(
                "POST", "/auth/register",
                body: #"{"username": "\#(name)", "email": "j@example.com", "password": "123456"}"#
            ).status == 201)
        let r = verify(app, headers: ["authorization": "Bearer \(try token(app, name: name))"])
        #expect(r.status == 200 && r.header("X-Auth-User") == "J%C3%B6rg%E2%98%83")
        let id = try #require(app.store.users.first?.id)
        #expect(r.header("X-Auth-User-Id") == id)
        // A row adopted from a Flask table may hold a line break: it cannot split the head.
        app.store.users.append(
            UserRecord(id: "id\nX", username: "flask\r\nrow", email: "f@example.com", passwordHash: "x"))
        let adopted = verify(app, headers: ["authorization": "Bearer \(try token(app, name: "flask\r\nrow"))"])
        #expect(adopted.header("X-Auth-User") == "flask%0D%0Arow" && adopted.header("X-Auth-User-Id") == "id%0AX")
        // User, User-Id, User-Groups, User-Email, AMR: one line each.
        #expect(adopted.wire.head.split(separator: "\r\n").filter { $0.hasPrefix("X-Auth") }.count == 5)
    }

    // --- the cookie source ---

    static let cookieOn = ["AUTHGATE_VERIFY_COOKIE": "__Host-ag"]

    @Test func theCookieIsIgnoredUnlessConfigured() throws {
        let app = try app()
        let cookie = ["cookie": "__Host-ag=\(try token(app))"]
        expect401(verify(app, headers: cookie, originalMethod: "GET"), TokenBodies.missing)
    }

    @Test(arguments: ["GET", "HEAD"])
    func theCookieServesSafeOriginalMethods(method: String) throws {
        let app = try app(Self.cookieOn)
        let r = verify(app, headers: ["cookie": "other=1; __Host-ag=\(try token(app)) ; x=y"], originalMethod: method)
        #expect(r.status == 200 && r.header("X-Auth-User") == "alice")
    }

    @Test(arguments: [nil, "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", ""] as [String?])
    func theCookieDoesNotServeOtherOrUnknownOriginalMethods(method: String?) throws {
        let app = try app(Self.cookieOn)
        let token = try token(app)
        expect401(verify(app, headers: ["cookie": "__Host-ag=\(token)"], originalMethod: method), TokenBodies.missing)
        // The header still works for them.
        #expect(
            verify(
                app, headers: ["cookie": "__Host-ag=\(token)", "authorization": "Bearer \(token)"],
                originalMethod: method
            ).status == 200)
    }

    @Test func theAuthorizationHeaderWinsWhenPresent() throws {
        let app = try app(Self.cookieOn)
        let good = try token(app)
        expect401(
            verify(app, headers: ["cookie": "__Host-ag=\(good)", "authorization": "Basic abc"], originalMethod: "GET"),
            TokenBodies.missing)
        expect401(
            verify(
                app,
                headers: ["cookie": "__Host-ag=\(good)", "authorization": "Bearer \(try token(app, name: "ghost"))"],
                originalMethod: "GET"), TokenBodies.userNotFound)
    }

    @Test func theCookieTokenMeetsEveryTokenRule() throws {
        let app = try app(Self.cookieOn)
        func cookie(_ value: String) -> Response { verify(app, headers: ["cookie": value], originalMethod: "GET") }
        expect401(cookie("ag=\(try token(app))"), TokenBodies.missing)  // another name
        expect401(cookie("__host-ag=\(try token(app))"), TokenBodies.missing)  // names are case-sensitive
        expect401(cookie("__Host-ag="), TokenBodies.invalid)
        expect401(cookie("__Host-ag=not.a.token"), TokenBodies.invalid)
        expect401(cookie("__Host-ag=\(try app.token(kind: .refresh))"), TokenBodies.accessOnly)
        // Two of them: a sibling domain's cookie must not pick the identity.
        expect401(cookie("__Host-ag=\(try token(app)); __Host-ag=\(try token(app, jti: "x"))"), TokenBodies.invalid)
        let revoked = try token(app, jti: "gone")
        #expect(
            app.send(Request(method: "GET", path: "/auth/logout", headers: ["authorization": "Bearer \(revoked)"]))
                .status == 200)
        expect401(cookie("__Host-ag=\(revoked)"), TokenBodies.revoked)
        expect401(
            verify(app, query: "fresh=1", headers: ["cookie": "__Host-ag=\(try token(app))"], originalMethod: "GET"),
            Self.fresh)
    }

    @Test(arguments: ["", "__Host-authgate", "a", "tok!#$%&'*+-.^_`|~9"])
    func cookieNamesThatParse(name: String) throws {
        let config = try Config.load(
            environment: ["FLASK_SECRET_KEY": "k", "AUTHGATE_VERIFY_COOKIE": name],
            dotEnv: [:], workingDirectory: "/nonexistent")
        #expect(config.verifyCookie == (name.isEmpty ? nil : name))
    }

    @Test(arguments: ["a b", "a=b", "a;b", "\u{E9}", "a\"", "a,b", "(a)", String(repeating: "a", count: 257)])
    func cookieNamesThatStopStartUp(name: String) {
        #expect {
            _ = try Config.load(
                environment: ["FLASK_SECRET_KEY": "k", "AUTHGATE_VERIFY_COOKIE": name],
                dotEnv: [:], workingDirectory: "/nonexistent")
        } throws: { ($0 as? ConfigError)?.variable == "AUTHGATE_VERIFY_COOKIE" && !"\($0)".contains(name) }
    }

    @Test func offByDefault() throws {
        #expect(try app().services.config.verifyCookie == nil)
    }
}

extension String {
    /// Percent-decoding as a client would do it, to bytes.
    func removingPercentEncodingForTest() -> [UInt8] {
        let bytes = Array(utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
