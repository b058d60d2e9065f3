import Testing
@testable import AuthGateHTTP
import AuthGateTestSupport

/// AuthGate keeps nginx's REQUEST_ID only when it is a plain token (the
/// rule of nginx.conf's map), whatever sits in front of it.
@Suite struct RequestIDTests {
    @Test(arguments: ["a", "trace-0123.A_b-1", String(repeating: "x", count: 64), "0c8563be87001ce60bb702fa8e175bc0"])
    func plainTokensAreKept(_ id: String) {
        #expect(RequestID.choose(id) { "generated" } == id)
    }

    @Test(arguments: [
        "", String(repeating: "x", count: 65), "has space", "line\nbreak", "x\u{2028}y", "ümlaut",
        "quote\"d", "slash/in", "nul\u{0}", "tab\t", "\u{85}"
    ])
    func anythingElseIsReplacedByTheGeneratedId(_ id: String) {
        #expect(RequestID.choose(id) { "3-17" } == "3-17")
    }

    @Test func noIdAtAllGetsTheGeneratedOneAndItIsBuiltOnlyThen() {
        #expect(RequestID.choose(nil) { "3-17" } == "3-17")
        var built = 0
        _ = RequestID.choose("fine") {
            built += 1; return "x"
        }
        #expect(built == 0)
    }
}
