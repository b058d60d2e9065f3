import Logging
import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Each error a handler may throw, as the client sees it through
/// `Dispatcher`: status, body, headers, and nothing of the error's detail
/// in the body.
@Suite struct ErrorResponseTests {
    struct UnexpectedError: Error, CustomStringConvertible {
        var description: String { "internal detail: password=hunter2 at /srv/secret" }
    }

    /// A router whose one route throws `error`.
    static func throwing(_ error: any Error) -> Router {
        Router([Route(method: "GET", path: "/boom", handler: { _, _ in throw error })])
    }

    func answer(_ error: any Error, method: String = "GET", logs: LogCapture = LogCapture()) throws -> Response {
        let app = try TestApp()
        return app.send(
            Request(method: method, path: "/boom", id: "req-42", logger: logs.logger),
            router: Self.throwing(error))
    }

    func expectJSONHead(_ r: Response) {
        let lines = r.wire.head.split(separator: "\r\n")
        #expect(lines.contains("Content-Type: application/json"))
        #expect(lines.contains("X-Content-Type-Options: nosniff"))
        #expect(lines.contains("Content-Length: \(r.body.count)"))
    }

    @Test(
        arguments: [
            (APIError.notFound, 404, "Not found"),
            (.payloadTooLarge, 413, "Request body too large"),
            (.unsupportedMediaType, 415, "Content-Type must be application/json"),
            (.badRequest("page must be a positive integer"), 400, "page must be a positive integer"),
            (.invalidCredentials, 400, "Invalid username or password"),
            (.userExists, 409, "User already exists"),
            (.emailExists, 409, "Email already registered")
        ] as [(APIError, Int, String)])
    func apiErrorIsItsStatusAndMessage(error: APIError, status: Int, message: String) throws {
        let r = try answer(error)
        #expect(r.status == status)
        #expect(r.object == strings(["error": message]))
        #expect(r.header("WWW-Authenticate") == nil && r.header("Retry-After") == nil)
        expectJSONHead(r)
    }

    @Test func methodNotAllowedCarriesAllow() throws {
        let r = try answer(APIError.methodNotAllowed(allow: ["GET", "HEAD", "OPTIONS"]))
        #expect(r.status == 405)
        #expect(r.object == strings(["error": "Method not allowed"]))
        #expect(r.header("Allow") == "GET, HEAD, OPTIONS")
    }

    @Test(arguments: [1, 7, 30])
    func overloadIs503WithRetryAfter(seconds: Int) throws {
        let r = try answer(APIError.overloaded(retryAfter: seconds))
        #expect(r.status == 503)
        #expect(r.object == strings(["error": "Service unavailable"]))
        #expect(r.header("Retry-After") == String(seconds))
        expectJSONHead(r)
    }

    @Test(
        arguments: [
            (TokenError.authorizationHeader, TokenBodies.missing),
            (.invalidToken, TokenBodies.invalid),
            (.expired, TokenBodies.expired),
            (.accessRequired, TokenBodies.accessOnly),
            (.refreshRequired, TokenBodies.refreshOnly),
            (.revoked, TokenBodies.revoked),
            (.userNotFound, TokenBodies.userNotFound)
        ] as [(TokenError, [String: JSONValue])])
    func tokenErrorIs401WithBearerChallenge(error: TokenError, body: [String: JSONValue]) throws {
        let r = try answer(error)
        #expect(r.status == 401)
        #expect(r.object == body)  // exactly these two keys
        #expect(r.header("WWW-Authenticate") == "Bearer")
        expectJSONHead(r)
    }

    @Test func storeUnavailableIs503AndLoggedWithTheRequestID() throws {
        let logs = LogCapture()
        let r = try answer(StoreError.unavailable("connection to 10.0.0.5 refused, user=authgate"), logs: logs)
        #expect(r.status == 503)
        #expect(r.object == strings(["error": "Service unavailable"]))
        #expect(!r.text.contains("10.0.0.5") && !r.text.contains("authgate"))
        #expect(r.header("Retry-After") == nil && r.header("WWW-Authenticate") == nil)
        #expect(logs.entries.contains { $0.level >= .warning && $0.text.contains("req-42") })
    }

    @Test func uniqueViolationIs409UserExistsWithoutTheConstraint() throws {
        let r = try answer(StoreError.uniqueViolation(constraint: "users_username_key"))
        #expect(r.status == 409)
        #expect(r.object == strings(["error": "User already exists"]))
        #expect(!r.text.contains("users_username_key"))
    }

    @Test(
        arguments: [
            StoreError.failed("syntax error near password=hunter2"), StoreError.schema("hunter2 duplicates"),
            UnexpectedError(), ServerError("hunter2 at start-up")
        ] as [any Error])
    func anythingElseIs500WithNoDetail(error: any Error) throws {
        let logs = LogCapture()
        let r = try answer(error, logs: logs)
        #expect(r.status == 500)
        #expect(r.object == strings(["error": "Internal server error"]))
        #expect(!r.text.contains("hunter2"))
        #expect(r.header("WWW-Authenticate") == nil)
        expectJSONHead(r)
        #expect(logs.entries.contains { $0.level >= .error && $0.text.contains("req-42") })
    }

    @Test func theProcessKeepsServingAfterA500() throws {
        let app = try TestApp()
        let router = Router(
            Routes.table + [Route(method: "GET", path: "/boom", handler: { _, _ in throw UnexpectedError() })])
        #expect(app.send(Request(method: "GET", path: "/boom"), router: router).status == 500)
        #expect(app.send(Request(method: "GET", path: "/livez"), router: router).status == 200)
    }

    @Test func headOfAnErrorHasNoBody() throws {
        let get = try answer(TokenError.expired)
        let head = try answer(TokenError.expired, method: "HEAD")
        #expect(head.status == 401 && head.header("WWW-Authenticate") == "Bearer")
        #expect(head.wire.head == get.wire.head)
        #expect(head.wire.body.isEmpty)
    }
}
