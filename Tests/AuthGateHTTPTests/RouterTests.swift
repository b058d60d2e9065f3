import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

@Suite struct RouterTests {
    @Test func everyAuthRouteAnswersUnderBothPrefixes() throws {
        for prefix in ["/auth", "/api/auth"] {
            _ = try Routes.router.handler(method: "POST", path: prefix + "/register")
            _ = try Routes.router.handler(method: "POST", path: prefix + "/login")
            _ = try Routes.router.handler(method: "GET", path: prefix + "/refresh")
            _ = try Routes.router.handler(method: "POST", path: prefix + "/logout")
            _ = try Routes.router.handler(method: "GET", path: prefix + "/whoami")
        }
        _ = try Routes.router.handler(method: "GET", path: "/api/users/all")
        _ = try Routes.router.handler(method: "GET", path: "/healthz")
        _ = try Routes.router.handler(method: "GET", path: "/livez")
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
        _ = try Routes.router.handler(method: "HEAD", path: "/api/auth/whoami")
        _ = try Routes.router.handler(method: "HEAD", path: "/livez")
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
