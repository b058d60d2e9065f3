import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

@Suite struct RouterTests {
    /// Each row as the transport sees it: the row the router picks for a
    /// method and path is that row, on its lane, with its body type and the
    /// parameters it reads. Only the three that derive a key use the KDF lane.
    @Test func everyRouteIsFoundWithItsLaneBodyAndParameters() throws {
        let verifyParameters = ["AUTHGATE_ORIGINAL_METHOD", "AUTHGATE_ORIGINAL_URI"]
        var expected: [(String, String, Route.Lane, Route.Body, [String])] = []
        for prefix in ["/auth", "/api/auth"] {
            expected += [
                ("POST", prefix + "/register", .keyDerivation, .json, []),
                ("POST", prefix + "/login", .keyDerivation, .json, []),
                ("POST", prefix + "/login/mfa", .worker, .json, []),
                ("POST", prefix + "/login/mfa/webauthn", .worker, .json, []),
                ("POST", prefix + "/login/passkey", .worker, .json, []),
                ("POST", prefix + "/login/passkey/finish", .worker, .json, []),
                ("POST", prefix + "/mfa/webauthn/register", .worker, .json, []),
                ("POST", prefix + "/mfa/webauthn/register/finish", .worker, .json, []),
                ("GET", prefix + "/mfa", .worker, .json, []),
                ("DELETE", prefix + "/mfa/webauthn", .worker, .json, []),
                ("POST", prefix + "/mfa/totp", .worker, .json, []),
                ("DELETE", prefix + "/mfa/totp", .worker, .json, []),
                ("POST", prefix + "/mfa/totp/confirm", .worker, .json, []),
                ("GET", prefix + "/refresh", .worker, .json, []), ("POST", prefix + "/refresh", .worker, .json, []),
                ("GET", prefix + "/whoami", .worker, .json, []),
                ("GET", prefix + "/logout", .worker, .json, []), ("POST", prefix + "/logout", .worker, .json, []),
                ("GET", prefix + "/verify", .worker, .json, verifyParameters),
                ("GET", prefix + "/sign-in", .worker, .json, []),
                ("POST", prefix + "/sign-in", .keyDerivation, .form, []),
                ("POST", prefix + "/sign-in/mfa", .worker, .form, []),
                ("POST", prefix + "/sign-in/passkey", .worker, .form, []),
                ("POST", prefix + "/sign-out", .worker, .form, []),
                ("GET", prefix + "/refresh-session", .worker, .json, [])
            ]
        }
        expected += [
            ("GET", "/api/users/all", .worker, .json, []), ("GET", "/healthz", .worker, .json, []),
            ("GET", "/livez", .worker, .json, []), ("GET", "/.well-known/jwks.json", .worker, .json, [])
        ]
        for (method, path, lane, body, parameters) in expected {
            let route = try Routes.router.route(method: method, path: path)
            #expect(route.method == method && route.path == path, "\(method) \(path)")
            #expect(route.lane == lane && route.body == body && route.parameters == parameters, "\(method) \(path)")
            #expect(route.gate == nil)
        }
        // Nothing in the table that is not listed here (the metrics row aside).
        #expect(Routes.table.filter { $0.gate == nil }.count == expected.count)
    }

    /// The metrics row exists only with nginx's parameter set to exactly "1".
    @Test func theMetricsPathExistsOnlyBehindItsGate() throws {
        let gated = try Routes.router.route(
            method: "GET", path: "/metrics", parameter: { $0 == "AUTHGATE_METRICS" ? "1" : nil })
        #expect(gated.path == "/metrics" && gated.lane == .worker)
        #expect(throws: APIError.methodNotAllowed(allow: ["GET", "HEAD", "OPTIONS"])) {
            try Routes.router.route(method: "POST", path: "/metrics", parameter: { _ in "1" })
        }
        for value in [nil, "", "0", "1 ", "yes"] as [String?] {
            for method in ["GET", "HEAD", "POST", "OPTIONS"] {
                #expect(throws: APIError.notFound) {
                    try Routes.router.route(method: method, path: "/metrics", parameter: { _ in value })
                }
            }
        }
    }

    @Test func unknownPathIs404() {
        #expect(throws: APIError.notFound) { try Routes.router.handler(method: "GET", path: "/auth/nope") }
        #expect(throws: APIError.notFound) { try Routes.router.handler(method: "GET", path: "/healthz/") }
    }

    /// `Allow` lists what Flask lists (HEAD with GET, OPTIONS always), in a
    /// fixed order where Flask's follows string hashing.
    @Test func wrongMethodIs405WithAllow() {
        #expect(throws: APIError.methodNotAllowed(allow: ["GET", "HEAD", "POST", "OPTIONS"])) {
            try Routes.router.handler(method: "DELETE", path: "/auth/refresh")
        }
        #expect(throws: APIError.methodNotAllowed(allow: ["POST", "OPTIONS"])) {
            try Routes.router.handler(method: "GET", path: "/auth/login")
        }
        #expect(throws: APIError.methodNotAllowed(allow: ["GET", "HEAD", "OPTIONS"])) {
            try Routes.router.handler(method: "PUT", path: "/livez")
        }
    }

    @Test func headNeedsAGetRoute() throws {
        #expect(try Routes.router.route(method: "HEAD", path: "/api/auth/whoami").method == "GET")
        #expect(try Routes.router.route(method: "HEAD", path: "/livez").method == "GET")
        #expect(throws: APIError.methodNotAllowed(allow: ["POST", "OPTIONS"])) {
            try Routes.router.handler(method: "HEAD", path: "/auth/register")
        }
    }

    @Test func unknownPathIs404ForEveryMethod() {
        for method in ["GET", "HEAD", "OPTIONS", "POST", "DELETE", "TRACE"] {
            #expect(throws: APIError.notFound) { try Routes.router.handler(method: method, path: "/auth/nope") }
        }
    }

    @Test func allowListKeepsExplicitRowsAndAddsNothingTwice() {
        #expect(Router.allowList(["POST", "GET", "GET"]) == ["POST", "GET", "HEAD", "OPTIONS"])
        #expect(Router.allowList(["GET", "HEAD", "OPTIONS"]) == ["GET", "HEAD", "OPTIONS"])
    }

    @Test func tooLargeDeclaredBodyIs413AfterRouting() {
        #expect(throws: APIError.payloadTooLarge) {
            try Dispatcher.checkBeforeBody(method: "POST", path: "/auth/login", declaredLength: 65_537)
        }
        #expect(throws: APIError.notFound) {
            try Dispatcher.checkBeforeBody(method: "POST", path: "/nope", declaredLength: 65_537)
        }
    }
}
