import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Each error type renders its own answer; these pin the bytes the
/// contract fixes (status, body, headers) and what gets logged.
@Suite struct ErrorRenderingTests {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

    /// The response to `error` as nginx reads it, and the log lines it made.
    func render(_ error: any Error) -> (head: String, body: String, log: [LogCapture.Entry]) {
        let capture = LogCapture()
        let request = Request(method: "GET", path: "/x", id: "req-7", logger: capture.logger)
        let wire = Dispatcher.errorResponse(for: error, to: request).wire
        return (wire.head, String(decoding: wire.body, as: UTF8.self), capture.entries)
    }

    func head(_ status: String, length: Int, _ extra: String = "") -> String {
        "Status: \(status)\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\n"
            + "X-Content-Type-Options: nosniff\r\n\(extra)\r\n"
    }

    @Test func apiErrorsAnswerTheirStatusMessageAndSortedHeadersUnlogged() {
        let notAllowed = render(APIError.methodNotAllowed(allow: ["GET", "HEAD"]))
        #expect(notAllowed.body == #"{"error":"Method not allowed"}"#)
        #expect(notAllowed.head == head("405 Method Not Allowed", length: 30, "Allow: GET, HEAD\r\n"))
        #expect(notAllowed.log.isEmpty)

        let overloaded = render(APIError.overloaded(retryAfter: 3))
        #expect(overloaded.body == #"{"error":"Service unavailable"}"#)
        #expect(overloaded.head == head("503 Service Unavailable", length: 31, "Retry-After: 3\r\n"))

        let multi = APIError(status: 400, message: "m", headers: ["Zed": "1", "Alpha": "2", "Mid": "3"])
        #expect(multi.httpHeaders.map(\.name) == ["Alpha", "Mid", "Zed"])
    }

    @Test func tokenErrorsAre401WithBearerAndFlaskBodyUnlogged() {
        let expired = render(TokenError.expired)
        #expect(expired.body == #"{"message":"Token has expired","error":"token_expired"}"#)
        #expect(expired.head == head("401 Unauthorized", length: 55, "WWW-Authenticate: Bearer\r\n"))
        #expect(expired.log.isEmpty)
    }

    @Test func anEscapedUniqueViolationIsTheUsernameConflict() {
        let conflict = render(StoreError.uniqueViolation(constraint: "users_email_lower_key"))
        #expect(conflict.body == #"{"error":"User already exists"}"#)
        #expect(conflict.head == head("409 Conflict", length: 31))
        #expect(conflict.log.isEmpty)
    }

    @Test func anUnreachableDatabaseIs503AndAWarningWithTheRequestID() throws {
        let down = render(StoreError.unavailable("connection refused"))
        #expect(down.body == #"{"error":"Service unavailable"}"#)
        #expect(down.head == head("503 Service Unavailable", length: 31))
        let line = try #require(down.log.first)
        #expect(down.log.count == 1)
        #expect(line.level == .warning)
        #expect(line.message == "database unavailable")
        #expect(line.metadata == ["request.id": "req-7", "error": "connection refused"])
    }

    @Test func anythingElseIsAGeneric500LoggedAsAnErrorWithTheRequestID() throws {
        for (error, detail) in [
            (Boom() as Error, "boom"),
            (StoreError.failed("XX000 broken"), "database error: XX000 broken"),
            (StoreError.schema("bad"), "schema: bad")
        ] {
            let failure = render(error)
            #expect(failure.body == #"{"error":"Internal server error"}"#)
            #expect(failure.head == head("500 Internal Server Error", length: 33))
            let line = try #require(failure.log.first)
            #expect(failure.log.count == 1)
            #expect(line.level == .error)
            #expect(line.message == "unexpected error")
            #expect(line.metadata == ["request.id": "req-7", "error": "\(detail)"])
        }
    }

    @Test func headAnswersKeepTheErrorHeadWithoutTheBody() {
        let capture = LogCapture()
        let request = Request(method: "HEAD", path: "/x", id: "req-8", logger: capture.logger)
        let wire = Dispatcher.errorResponse(for: TokenError.invalidToken, to: request).wire
        #expect(wire.head.hasPrefix("Status: 401 Unauthorized\r\n"))
        #expect(wire.head.contains("WWW-Authenticate: Bearer\r\n"))
        #expect(wire.body.isEmpty)
    }
}
