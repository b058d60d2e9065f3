import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// `/auth/verify?allowed_groups=`, the identity headers of every 200, and
/// the `groups` claim (`AUTHGATE_TOKEN_GROUPS`).
@Suite struct VerifyGroupsTests {
    static let forbidden = strings(["message": "User is not in an allowed group", "error": "forbidden"])

    func app(_ environment: [String: String] = [:], cache: ReadCache? = nil) throws -> TestApp {
        let app = try TestApp(environment: environment, cache: cache)
        try app.addUser()
        return app
    }

    func verify(_ app: TestApp, _ query: String = "", token: String? = nil) throws -> Response {
        app.send("GET", "/auth/verify", query: query, token: try token ?? app.token())
    }

    @Test func aUserInNoListedGroupIs403WithItsBodyAsXAuthError() throws {
        let app = try app()
        app.store.memberships["id-alice"] = ["dev"]
        for query in ["allowed_groups=ops", "allowed_groups=ops,admins", "allowed_groups=Dev"] {
            let r = try verify(app, query)
            #expect(r.status == 403 && r.object == Self.forbidden, "\(query)")
            #expect(r.header("X-Auth-Error") == r.text, "nginx's auth_request keeps no body")
            #expect(r.header("WWW-Authenticate") == nil && r.header("Location") == nil)
            #expect(r.header("X-Auth-User") == nil && r.header("X-Auth-User-Groups") == nil)
        }
    }

    @Test func aUserInAnyListedGroupPassesWithItsGroupsAndEmail() throws {
        let app = try app()
        app.store.memberships["id-alice"] = ["ops", "dev.team", "Admins"]
        for query in ["allowed_groups=ops", "allowed_groups=qa,dev.team", "", "fresh=0&allowed_groups=Admins"] {
            let r = try verify(app, query)
            #expect(r.status == 200 && r.body.isEmpty, "\(query)")
            #expect(r.header("X-Auth-User-Groups") == "Admins,dev.team,ops", "sorted by bytes")
            #expect(r.header("X-Auth-User-Email") == "alice@example.com")
            #expect(r.header("X-Auth-User") == "alice" && r.header("X-Auth-User-Id") == "id-alice")
        }
    }

    @Test func everyTwoHundredCarriesTheHeadersEvenWithNoGroup() throws {
        let app = try app()
        let r = try verify(app)
        #expect(r.status == 200 && r.header("X-Auth-User-Groups") == "" && r.header("X-Auth-User-Email") != nil)
        #expect(try verify(app, "allowed_groups=ops").status == 403)
    }

    @Test func valuesAHeaderCannotHoldArePercentEncoded() throws {
        let app = try app()
        app.store.users[0].email = "J\u{F6}rg,\"x\"@example.com"
        // A name no CLI would accept, written by SQL: still one list entry.
        app.store.memberships["id-alice"] = ["a,b", "ops"]
        let r = try verify(app)
        #expect(r.header("X-Auth-User-Email") == "J%C3%B6rg%2C%22x%22@example.com")
        #expect(r.header("X-Auth-User-Groups") == "a%2Cb,ops")
        // allowed_groups=a,b means the groups a and b: "a,b" is neither.
        #expect(try verify(app, "allowed_groups=a,b").status == 403)
    }

    @Test(arguments: [
        "allowed_groups=", "allowed_groups=ops,", "allowed_groups=,ops", "allowed_groups=ops,,dev",
        "allowed_groups=o%20ps", "allowed_groups=" + String(repeating: "g", count: 65),
        "allowed_groups=gr%C3%BCppe", "allowed_groups=a+b"
    ])
    func aMalformedListIsA400NamingTheParameterWhateverTheToken(query: String) throws {
        let app = try app()
        for token in [try app.token(), "garbage"] {
            let r = app.send("GET", "/auth/verify", query: query, token: token)
            #expect(r.status == 400 && r.object?["error"]?.stringValue?.contains("allowed_groups") == true, "\(query)")
        }
    }

    @Test func tokenErrorsAndFreshnessComeBeforeTheGroupCheck() throws {
        let app = try app()
        let missing = app.send("GET", "/auth/verify", query: "allowed_groups=ops")
        #expect(missing.status == 401 && missing.object == TokenBodies.missing)
        let stale = app.send("GET", "/auth/verify", query: "fresh=1&allowed_groups=ops", token: try app.token())
        #expect(stale.status == 401 && stale.object?["error"] == .string("fresh_token_required"))
    }

    @Test func aMembershipChangeAppliesToTheNextRequest() throws {
        let app = try app()
        #expect(try verify(app, "allowed_groups=ops").status == 403)
        app.store.memberships["id-alice"] = ["ops"]
        #expect(try verify(app, "allowed_groups=ops").status == 200)
        app.store.memberships["id-alice"] = []
        #expect(try verify(app, "allowed_groups=ops").status == 403)
    }

    @Test func theTokensClaimIsNeverWhatDecides() throws {
        let app = try app(["AUTHGATE_TOKEN_GROUPS": "true"])
        app.store.memberships["id-alice"] = ["ops"]
        let login = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        let access = try #require(login.object?["tokens"]?["access"]?.stringValue)
        #expect(try verify(app, "allowed_groups=ops", token: access).status == 200)
        app.store.memberships["id-alice"] = []  // removed; the token still says ops
        #expect(try verify(app, "allowed_groups=ops", token: access).status == 403)
    }

    @Test func throughTheReadCacheOwnWritesAndNotificationsApplyAtOnce() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let app = try app(cache: cache)
        #expect(try verify(app, "allowed_groups=ops").status == 403)  // [] is now cached
        let reads = app.store.calls
        #expect(try verify(app, "allowed_groups=ops").status == 403)
        #expect(app.store.calls == reads, "answered from memory")
        // This process's own write (the CLI's store is a CachedUserStore too only in a responder).
        #expect(try app.context.store.addToGroup(userID: "id-alice", group: "ops"))
        #expect(try verify(app, "allowed_groups=ops").status == 200)
        // Another process's write: the row changes, then its NOTIFY arrives.
        app.store.memberships["id-alice"] = []
        cache.groupsChanged()
        #expect(try verify(app, "allowed_groups=ops").status == 403)
    }

    // The `groups` claim.

    func loginTokens(_ app: TestApp) throws -> (access: String, refresh: String) {
        let r = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        let tokens = try #require(r.object?["tokens"])
        return (try #require(tokens["access"]?.stringValue), try #require(tokens["refresh"]?.stringValue))
    }

    @Test func tokensCarryNoGroupsByDefault() throws {
        let app = try app()
        app.store.memberships["id-alice"] = ["ops"]
        let (access, refresh) = try loginTokens(app)
        #expect(try app.services.tokens.verifiedPayload(access)["groups"] == nil)
        #expect(try app.services.tokens.verifiedPayload(refresh)["groups"] == nil)
        let renewed = try #require(
            app.send("POST", "/auth/refresh", token: refresh).object?["access_token"]?.stringValue)
        #expect(try app.services.tokens.verifiedPayload(renewed)["groups"] == nil)
    }

    @Test func withTokenGroupsAccessTokensCarryTheSortedGroupsAtLoginAndRefresh() throws {
        let app = try app(["AUTHGATE_TOKEN_GROUPS": "true"])
        app.store.memberships["id-alice"] = ["ops", "Admins", "dev.team"]
        let (access, refresh) = try loginTokens(app)
        #expect(
            try app.services.tokens.verifiedPayload(access)["groups"]
                == .array([.string("Admins"), .string("dev.team"), .string("ops")]))
        #expect(try app.services.tokens.verifiedPayload(refresh)["groups"] == nil, "access tokens only")
        // A refresh reads them again.
        app.store.memberships["id-alice"] = ["qa"]
        let renewed = try #require(
            app.send("POST", "/auth/refresh", token: refresh).object?["access_token"]?.stringValue)
        #expect(try app.services.tokens.verifiedPayload(renewed)["groups"] == .array([.string("qa")]))
        // No group: an empty array, so a client can tell "none" from "not configured".
        app.store.memberships["id-alice"] = []
        #expect(try app.services.tokens.verifiedPayload(try loginTokens(app).access)["groups"] == .array([]))
    }
}
