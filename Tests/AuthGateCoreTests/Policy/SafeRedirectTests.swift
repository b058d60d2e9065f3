import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// `rd`: a relative path, or an absolute http(s) URL on an allowed host;
/// anything else is `/`.
@Suite struct SafeRedirectTests {
    static let hosts: RedirectHosts = (try? RedirectHosts.parse("app.example.com, .corp.example")) ?? .none

    @Test(arguments: [
        "/", "/app/page?x=1&y=%2F%2Fevil", "/a#frag", "https://app.example.com/x",
        "http://APP.example.com:8443/x?y", "https://a.corp.example/", "https://a.b.corp.example"
    ])
    func followed(rd: String) {
        #expect(SafeRedirect.target(rd, allowed: Self.hosts) == rd)
    }

    @Test(arguments: [
        "//evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil",
        "https://evil.example/", "https://app.example.com@evil.example/", "https://app.example.com.evil.example/",
        "https://corp.example/", "javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x",
        "ftp://app.example.com/", "app/relative", "", " /", "/ space", "https://app.example.com:99999/",
        "https://app.example.com./", "https:///app.example.com", "/caf\u{E9}", "https://[::1]/"
    ])
    func replacedBySlash(rd: String) {
        #expect(SafeRedirect.target(rd, allowed: Self.hosts) == "/")
    }

    @Test func withNoHostsListedOnlyRelativePathsAreFollowed() {
        #expect(SafeRedirect.target("https://app.example.com/", allowed: .none) == "/")
        #expect(SafeRedirect.target("/ok", allowed: .none) == "/ok")
        #expect(SafeRedirect.target(nil, allowed: .none) == "/")
        #expect(SafeRedirect.target("/" + String(repeating: "a", count: 3000), allowed: .none) == "/")
    }

    @Test(arguments: ["a b", "evil@example.com", "*.example.com", "example.com/", "app.example.com:8443", "[::1]"])
    func badHostListsStopStartUp(raw: String) {
        #expect(throws: ConfigError.self) { try RedirectHosts.parse(raw) }
    }
}
