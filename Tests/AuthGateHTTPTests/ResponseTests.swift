import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

@Suite struct ResponseTests {
    @Test func everyResponseSaysNosniffOnce() {
        let responses = [
            Response.json(200, [("status", .string("ok"))]),
            Response(status: 200, headers: [("Allow", "GET")], body: []),
            Response.json(404, [("error", .string("Not found"))]).answering("HEAD")
        ]
        for response in responses {
            let lines = response.wire.head.split(separator: "\r\n")
            #expect(lines.filter { $0 == "X-Content-Type-Options: nosniff" }.count == 1)
        }
    }

    @Test func headKeepsTheHeadAndLengthButSendsNoBody() {
        let get = Response.json(
            401, [("message", .string("m")), ("error", .string("e"))],
            headers: [("WWW-Authenticate", "Bearer")])
        let head = get.answering("HEAD")
        #expect(head.wire.head == get.wire.head)
        #expect(head.wire.head.contains("Content-Length: \(get.body.count)\r\n"))
        #expect(head.wire.body.isEmpty)
        #expect(get.wire.body == get.body)
        #expect(get.answering("GET").wire.body == get.body)
    }
}
