import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Handlers and the dispatcher log through the request's logger, which the
/// transport made from its own: every line carries `request.id`.
@Suite struct RequestLoggerTests {
    @Test func theRequestsLoggerCarriesItsIDAndTheTransportsMetadata() throws {
        let capture = LogCapture()
        var base = capture.logger
        base[metadataKey: "worker"] = "3"
        var request = Request(method: "GET", path: "/healthz", id: "abc123", logger: base)
        request.logger.info("one")
        request.id = "def456"
        request.logger.info("two")
        #expect(
            capture.entries.map(\.metadata) == [
                ["worker": "3", "request.id": "abc123"],
                ["worker": "3", "request.id": "def456"]
            ])
    }

    @Test func aHandlersWarningCarriesTheRequestID() throws {
        let app = try TestApp()
        app.store.down = true
        let capture = LogCapture()
        let request = Request(method: "GET", path: "/healthz", id: "health-1", logger: capture.logger)
        let response = Dispatcher.respond(to: request, context: app.context)
        #expect(response.status == 503)
        let line = try #require(capture.entries.first)
        #expect(capture.entries.count == 1)
        #expect(line.message == "health check: database unreachable")
        #expect(line.metadata == ["request.id": "health-1", "error": "test outage"])
    }

    @Test func aDispatchedErrorIsLoggedWithTheRequestID() throws {
        let app = try TestApp()
        try app.addUser("alice")
        app.store.down = true
        let capture = LogCapture()
        let request = Request(
            method: "POST", path: "/auth/login", headers: ["content-type": "application/json"],
            body: Array(#"{"username":"alice","password":"123456"}"#.utf8), id: "login-9",
            logger: capture.logger)
        let response = Dispatcher.respond(to: request, context: app.context)
        #expect(response.status == 503)
        #expect(capture.entries.map(\.metadata) == [["request.id": "login-9", "error": "test outage"]])
    }
}
