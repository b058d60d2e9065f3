import Testing
@testable import AuthGate

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
    }

    @Test func unknownPathIs404() {
        #expect(throws: APIError.notFound) { try Routes.router.handler(method: "GET", path: "/auth/nope") }
        #expect(throws: APIError.notFound) { try Routes.router.handler(method: "GET", path: "/healthz/") }
    }

    @Test func wrongMethodIs405WithAllow() {
        #expect(throws: APIError.methodNotAllowed(allow: ["GET", "POST"])) {
            try Routes.router.handler(method: "DELETE", path: "/auth/refresh")
        }
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
