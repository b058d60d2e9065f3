import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Every token error of the contract on every route that takes a token,
/// in process with tokens signed here (the cases of
/// Tests/EndToEnd/test_tokens.py, which still runs them through nginx).
@Suite struct TokenErrorMatrixTests {
    func app() throws -> TestApp {
        let app = try TestApp()
        try app.addUser()
        return app
    }

    func expect401(
        _ r: Response, _ body: [String: JSONValue], _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == 401, comment, sourceLocation: sourceLocation)
        #expect(r.header("WWW-Authenticate") == "Bearer", comment, sourceLocation: sourceLocation)
        #expect(r.object == body, comment, sourceLocation: sourceLocation)
    }

    @Test(
        arguments: ProtectedRoute.all,
        [nil, "", "Basic dXNlcjpwYXNz", "Token abc", "Bearerabc", "Bearer-x y"] as [String?])
    func missingHeaderOrAnotherScheme(route: ProtectedRoute, header: String?) throws {
        let app = try app()
        expect401(app.call(route, authorization: header), TokenBodies.missing)
        #expect(app.store.calls == 0)
    }

    @Test(arguments: ProtectedRoute.all, ["bEaReR", "BEARER", "bearer", "Bearer"])
    func theSchemeNameIgnoresCase(route: ProtectedRoute, scheme: String) throws {
        let app = try app()
        let r = app.call(route, authorization: "\(scheme) \(try app.token(kind: route.kind))")
        #expect(r.status == 200, "\(r.text)")
    }

    @Test(
        arguments: ProtectedRoute.all,
        [
            "Bearer", "Bearer ", "Bearer a b", "Bearer not.a.token", "Bearer x",
            "Bearer ..", "Bearer a.b.c.d"
        ])
    func emptyExtraOrMalformedToken(route: ProtectedRoute, header: String) throws {
        let app = try app()
        expect401(app.call(route, authorization: header), TokenBodies.invalid, "\(header)")
    }

    @Test(arguments: ProtectedRoute.all)
    func twoTokensAreInvalid(route: ProtectedRoute) throws {
        let app = try app()
        let token = try app.token(kind: route.kind)
        expect401(app.call(route, authorization: "Bearer \(token) \(token)"), TokenBodies.invalid)
    }

    /// Forged or malformed tokens for `kind`, by name.
    static func forgeries(kind: Claims.Kind) throws -> [(String, String)] {
        let k = kind.rawValue
        let now = TestApp.now
        let good = try TokenForge.sign(payload: TokenForge.claims(kind: k))
        let parts = good.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var sig = Array(parts[2])
        sig[10] = sig[10] == "A" ? "B" : "A"
        func claims(_ overrides: [String: JSONValue?]) -> [UInt8] { TokenForge.claims(overrides, kind: k) }
        func signed(_ overrides: [String: JSONValue?]) throws -> String {
            try TokenForge.sign(payload: claims(overrides))
        }
        let otherPayload = Base64URL.encode(
            JSONWriter.object([
                ("sub", .string("alice")), ("type", .string(k)),
                ("exp", .number(now + 900))
            ]))
        return [
            ("alg none", Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + ".\(parts[1])."),
            (
                "alg none, signature kept",
                Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + ".\(parts[1]).\(parts[2])"
            ),
            (
                "HS512 on an HS256 server",
                try TokenForge.sign(
                    payload: claims([:]), header: #"{"alg":"HS512","typ":"JWT"}"#,
                    digest: .sha512)
            ),
            (
                "HS384 on an HS256 server",
                try TokenForge.sign(
                    payload: claims([:]), header: #"{"alg":"HS384","typ":"JWT"}"#,
                    digest: .sha384)
            ),
            (
                "HS512 header, HS256 MAC",
                try TokenForge.sign(payload: claims([:]), header: #"{"alg":"HS512","typ":"JWT"}"#)
            ),
            ("no alg", try TokenForge.sign(payload: claims([:]), header: #"{"typ":"JWT"}"#)),
            ("alg lower-case", try TokenForge.sign(payload: claims([:]), header: #"{"alg":"hs256","typ":"JWT"}"#)),
            ("header not an object", try TokenForge.sign(payload: claims([:]), header: #"["HS256"]"#)),
            ("crit header", try TokenForge.sign(payload: claims([:]), header: #"{"alg":"HS256","crit":["exp"]}"#)),
            ("wrong key", try TokenForge.sign(payload: claims([:]), key: "another-secret-entirely")),
            ("bad signature", "\(parts[0]).\(parts[1]).\(String(sig))"),
            ("signature missing", "\(parts[0]).\(parts[1])."),
            ("signature padded", "\(parts[0]).\(parts[1]).\(parts[2])="),
            ("payload swapped", "\(parts[0]).\(otherPayload).\(parts[2])"),
            ("nbf in the future", try signed(["nbf": .number(now + 120)])),
            ("iat in the future", try signed(["iat": .number(now + 120)])),
            ("exp missing", try signed(["exp": nil])),
            ("exp not a number", try signed(["exp": .string("tomorrow")])),
            ("exp a numeric string", try signed(["exp": .string(String(Int(now) + 900))])),
            ("exp a boolean", try signed(["exp": .bool(true)])),
            ("exp null", try signed(["exp": .null])),
            ("iat not a number", try signed(["iat": .string("now")])),
            ("nbf not a number", try signed(["nbf": .array([.number(1)])])),
            ("sub missing", try signed(["sub": nil])),
            ("sub not a string", try signed(["sub": .number(12345)])),
            ("sub an array", try signed(["sub": .array([.string("alice")])])),
            ("type unknown", try signed(["type": .string("id")])),
            ("type missing", try signed(["type": nil])),
            ("type in capitals", try signed(["type": .string(k.uppercased())])),
            ("payload not an object", try TokenForge.sign(payload: #"["alice"]"#)),
            ("payload not JSON", try TokenForge.sign(payload: "alice")),
            (
                "forged and expired",
                try TokenForge.sign(payload: claims(["exp": .number(now - 10)]), key: "another-secret-entirely")
            )
        ]
    }

    @Test(arguments: ProtectedRoute.all)
    func forgeriesAreInvalidToken(route: ProtectedRoute) throws {
        let app = try app()
        for (name, token) in try Self.forgeries(kind: route.kind) {
            expect401(app.call(route, token: token), TokenBodies.invalid, "\(name)")
        }
        #expect(app.store.calls == 0)
        #expect(app.store.revoked.isEmpty)
    }

    @Test(arguments: ProtectedRoute.all)
    func expired(route: ProtectedRoute) throws {
        let app = try app()
        let now = TestApp.now
        let token = try TokenForge.sign(
            payload: TokenForge.claims(
                [
                    "iat": .number(now - 1000), "nbf": .number(now - 1000), "exp": .number(now - 5)
                ], kind: route.kind.rawValue))
        expect401(app.call(route, token: token), TokenBodies.expired)
    }

    @Test(arguments: ProtectedRoute.accessRoutes)
    func refreshTokenWhereAnAccessTokenIsNeeded(route: ProtectedRoute) throws {
        let app = try app()
        expect401(app.call(route, token: try app.token(kind: .refresh)), TokenBodies.accessOnly)
    }

    @Test(arguments: ProtectedRoute.refreshRoutes)
    func accessTokenWhereARefreshTokenIsNeeded(route: ProtectedRoute) throws {
        let app = try app()
        expect401(app.call(route, token: try app.token(kind: .access)), TokenBodies.refreshOnly)
    }

    @Test(arguments: ProtectedRoute.eitherRoutes, [Claims.Kind.access, .refresh])
    func logoutTakesEitherType(route: ProtectedRoute, kind: Claims.Kind) throws {
        let app = try app()
        #expect(app.call(route, token: try app.token(kind: kind)).status == 200)
    }

    @Test func aRevokedRefreshTokenIsRefusedWhereverItWouldServe() throws {
        let app = try app()
        let login = app.send("POST", "/auth/login", body: LoginHandlerTests.good)
        let tokens = try #require(login.object?["tokens"])
        let access = try #require(tokens["access"]?.stringValue), refresh = try #require(tokens["refresh"]?.stringValue)
        #expect(app.send("POST", "/auth/logout", token: refresh).status == 200)
        for route in ProtectedRoute.refreshRoutes + ProtectedRoute.eitherRoutes {
            expect401(app.call(route, token: refresh), TokenBodies.revoked, "\(route.testDescription)")
        }
        // The access token of the same login is still good.
        #expect(app.send("GET", "/auth/whoami", token: access).status == 200)
    }

    @Test func aRevokedAccessTokenIsRefusedWhereverItWouldServe() throws {
        let app = try app()
        let token = try app.token()
        #expect(app.send("GET", "/auth/logout", token: token).status == 200)
        for route in ProtectedRoute.accessRoutes + ProtectedRoute.eitherRoutes {
            expect401(app.call(route, token: token), TokenBodies.revoked, "\(route.testDescription)")
        }
        #expect(app.send("GET", "/auth/whoami", token: try app.token(jti: "jti-2")).status == 200)
    }

    @Test(arguments: ProtectedRoute.all)
    func unknownUser(route: ProtectedRoute) throws {
        let app = try app()
        expect401(app.call(route, token: try app.token("ghost", kind: route.kind)), TokenBodies.userNotFound)
        // "alice" and "Alice" are two users; so are "é" and "e" + U+0301.
        expect401(app.call(route, token: try app.token("Alice", kind: route.kind)), TokenBodies.userNotFound)
        try app.addUser("\u{E9}")
        expect401(app.call(route, token: try app.token("e\u{301}", kind: route.kind)), TokenBodies.userNotFound)
    }

    @Test func aDeletedUsersTokensAreUserNotFound() throws {
        let app = try app()
        let tokens = try #require(app.send("POST", "/auth/login", body: LoginHandlerTests.good).object?["tokens"])
        let access = try #require(tokens["access"]?.stringValue), refresh = try #require(tokens["refresh"]?.stringValue)
        app.store.users.removeAll()
        for route in ProtectedRoute.accessRoutes {
            expect401(app.call(route, token: access), TokenBodies.userNotFound, "\(route.testDescription)")
        }
        expect401(app.call(ProtectedRoute.refreshRoutes[0], token: refresh), TokenBodies.userNotFound)
        expect401(app.call(ProtectedRoute.eitherRoutes[0], token: refresh), TokenBodies.userNotFound)
    }

    @Test func extraClaimsLikeCSRFAreAccepted() throws {
        let app = try app()
        let token = try TokenForge.sign(
            payload: TokenForge.claims([
                "csrf": .string("abc"), "aud_extra": .object(["x": .number(1)]), "fresh": .number(TestApp.now + 60)
            ]))
        #expect(app.send("GET", "/auth/whoami", token: token).status == 200)
    }

    @Test func headerParametersOtherThanCritAreAccepted() throws {
        let app = try app()
        // A kid must name a key of the ring (KeyRotationTests): this one's.
        let kid = app.services.tokens.keys.current.kid
        let token = try TokenForge.sign(
            payload: TokenForge.claims(),
            header: #"{"typ":"JWT","alg":"HS256","kid":"\#(kid)","cty":"x"}"#)
        #expect(app.send("GET", "/auth/whoami", token: token).status == 200)
    }

    @Test(arguments: [("HS384", Crypto.Digest.sha384), ("HS512", .sha512)])
    func onlyTheConfiguredAlgorithmVerifies(name: String, digest: Crypto.Digest) throws {
        let app = try TestApp(environment: ["FLASK_JWT_ALGORITHM": name])
        try app.addUser()
        let own = try TokenForge.sign(
            payload: TokenForge.claims(), header: #"{"alg":"\#(name)","typ":"JWT"}"#, digest: digest)
        #expect(app.send("GET", "/auth/whoami", token: own).status == 200)
        let hs256 = try TokenForge.sign(payload: TokenForge.claims())
        expect401(app.send("GET", "/auth/whoami", token: hs256), TokenBodies.invalid)
    }
}
