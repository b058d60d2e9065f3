import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The contract's check order (API.md, Request errors): 404, 405, 413,
/// 415, 400 (body), then the token, then the handler's own checks.
@Suite struct DispatcherOrderTests {
    static let notFound = strings(["error": "Not found"])
    static let methodNotAllowed = strings(["error": "Method not allowed"])

    func request(
        _ method: String, _ path: String, contentType: String? = nil, body: [UInt8] = [],
        token: String? = nil
    ) -> Request {
        var headers: [String: String] = [:]
        if let contentType { headers["content-type"] = contentType }
        if let token { headers["authorization"] = "Bearer \(token)" }
        return Request(method: method, path: path, headers: headers, body: body)
    }

    let oversized = [UInt8](repeating: UInt8(ascii: "x"), count: 65_537)

    @Test(arguments: ["GET", "POST", "HEAD", "DELETE"])
    func unknownPathIs404BeforeEverythingElse(method: String) throws {
        let app = try TestApp()
        let r = app.send(request(method, "/auth/nope", contentType: "text/plain", body: oversized))
        #expect(r.status == 404)
        if method != "HEAD" { #expect(r.object == Self.notFound) }
        #expect(app.store.calls == 0)
    }

    @Test func pathsMatchExactly() throws {
        let app = try TestApp()
        for path in ["/auth/login/", "/AUTH/login", "/auth//login", "/auth/logi\u{0301}n", "auth/login", ""] {
            #expect(app.send("POST", path, body: LoginHandlerTests.good).status == 404, "\(path)")
        }
    }

    @Test func wrongMethodIs405BeforeTheSizeCheck() throws {
        let app = try TestApp()
        let r = app.send(request("PUT", "/auth/login", contentType: "text/plain", body: oversized))
        #expect(r.status == 405)
        #expect(r.object == Self.methodNotAllowed)
        #expect(r.header("Allow") == "POST, OPTIONS")
        let get = app.send(request("GET", "/auth/register"))
        #expect(get.status == 405 && get.header("Allow") == "POST, OPTIONS")
        let delete = app.send(request("DELETE", "/api/users/all"))
        #expect(delete.status == 405 && delete.header("Allow") == "GET, HEAD, OPTIONS")
    }

    @Test func oversizedBodyIs413BeforeTheMediaType() throws {
        let app = try TestApp()
        for contentType in ["text/plain", "application/json", nil] as [String?] {
            let r = app.send(request("POST", "/auth/login", contentType: contentType, body: oversized))
            #expect(r.status == 413, "\(contentType ?? "none")")
            #expect(r.object?["error"]?.stringValue?.isEmpty == false)
        }
        #expect(app.store.calls == 0)
    }

    /// The worker's path: routed on the declared length (here none), then
    /// checked again on the bytes actually read.
    @Test func bytesReadAreCheckedFor413BeforeTheMediaType() throws {
        let app = try TestApp()
        let handler = try Dispatcher.checkBeforeBody(method: "POST", path: "/auth/login", declaredLength: nil)
        let r = Dispatcher.respond(
            to: request("POST", "/auth/login", contentType: "text/plain", body: oversized),
            with: handler, context: app.context)
        #expect(r.status == 413)
        let fits = Dispatcher.respond(
            to: request(
                "POST", "/auth/login", contentType: "text/plain",
                body: Array(oversized.dropLast())),
            with: handler, context: app.context)
        #expect(fits.status == 415)
    }

    @Test func oversizedBodyIs413BeforeTheToken() throws {
        let app = try TestApp()
        let r = app.send(request("POST", "/auth/logout", contentType: "application/json", body: oversized))
        #expect(r.status == 413)
    }

    @Test func aBodyOf65536BytesPassesAndOneMoreDoesNot() throws {
        let app = try TestApp()
        try app.addUser()
        let json = Array(LoginHandlerTests.good.utf8)
        let fits = json + [UInt8](repeating: UInt8(ascii: " "), count: 65_536 - json.count)
        #expect(app.send(request("POST", "/auth/login", contentType: "application/json", body: fits)).status == 200)
        let over = fits + [UInt8(ascii: " ")]
        #expect(app.send(request("POST", "/auth/login", contentType: "application/json", body: over)).status == 413)
    }

    @Test func declaredLengthIsCheckedAfterRouting() {
        #expect(throws: APIError.payloadTooLarge) {
            try Dispatcher.checkBeforeBody(method: "POST", path: "/auth/register", declaredLength: 65_537)
        }
        #expect(throws: APIError.methodNotAllowed(allow: ["POST", "OPTIONS"])) {
            try Dispatcher.checkBeforeBody(method: "GET", path: "/auth/register", declaredLength: 65_537)
        }
        #expect(
            (try? Dispatcher.checkBeforeBody(method: "POST", path: "/auth/register", declaredLength: 65_536)) != nil)
    }

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "application/jsonp", "json", nil] as [String?])
    func postWithABodyThatIsNotJSONTypedIs415BeforeTheBody(contentType: String?) throws {
        let app = try TestApp()
        let r = app.send(request("POST", "/auth/register", contentType: contentType, body: Array("not json".utf8)))
        #expect(r.status == 415)
        #expect(r.object?["error"]?.stringValue?.isEmpty == false)
        #expect(app.store.calls == 0)
    }

    @Test(arguments: [
        "application/json", "Application/JSON", "application/json; charset=utf-8",
        " application/json ;charset=UTF-8"
    ])
    func jsonMediaTypeIgnoresCaseAndParameters(contentType: String) throws {
        let app = try TestApp()
        let body = Array(#"{"username": "bob", "email": "b@x.io", "password": "123456"}"#.utf8)
        #expect(app.send(request("POST", "/auth/register", contentType: contentType, body: body)).status == 201)
    }

    @Test func anEmptyBodyIsNot415() throws {
        let app = try TestApp()
        // Past the media-type check, the empty body is the handler's 400.
        let r = app.send(request("POST", "/auth/login", contentType: "text/plain"))
        #expect(r.status == 400)
    }

    @Test func the415RuleIsForPOSTOnly() throws {
        let app = try TestApp()
        try app.addUser()
        let r = app.send(
            request(
                "GET", "/auth/whoami", contentType: "text/plain", body: Array("x".utf8),
                token: try app.token()))
        #expect(r.status == 200)
    }

    @Test func badBodyIs400BeforeTheHandlersOwnChecks() throws {
        let app = try TestApp()
        try app.addUser("bob")
        // The user exists (a 409), but the body is not an object.
        let r = app.send(
            request(
                "POST", "/auth/register", contentType: "application/json",
                body: Array(#"["bob", "b@x.io", "123456"]"#.utf8)))
        #expect(r.status == 400)
    }

    @Test func tokenIsCheckedBeforeTheStoreIsAsked() throws {
        let app = try TestApp()
        app.store.down = true
        let r = app.send("GET", "/auth/whoami")
        #expect(r.object == TokenBodies.missing)
        #expect(app.store.calls == 0)
    }

    @Test func headOfAnErrorKeepsItsHeadAndDropsTheBody() throws {
        let app = try TestApp()
        for path in ["/nope", "/auth/whoami"] {
            let get = app.send("GET", path)
            let head = app.send("HEAD", path)
            #expect(head.status == get.status, "\(path)")
            #expect(head.wire.head == get.wire.head, "\(path)")
            #expect(head.wire.body.isEmpty && !get.wire.body.isEmpty, "\(path)")
        }
    }
}
