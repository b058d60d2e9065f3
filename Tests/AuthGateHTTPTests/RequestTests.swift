import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

@Suite struct RequestTests {
    @Test func queryIsPercentDecodedWithPlusAsSpace() {
        let r = Request(method: "GET", path: "/", queryString: "a=1%202&b=x+y&c=%E2%9C%93")
        #expect(r.queryValue("a") == "1 2")
        #expect(r.queryValue("b") == "x y")
        #expect(r.queryValue("c") == "✓")
    }

    @Test func repeatedKeysKeepTheFirstForGet() {
        let r = Request(method: "GET", path: "/", queryString: "page=2&page=3")
        #expect(r.queryValue("page") == "2")
        #expect(r.query.count == 2)
    }

    @Test func malformedEscapesStayLiteral() {
        let r = Request(method: "GET", path: "/", queryString: "a=%zz&b=%&c=%4")
        #expect(r.queryValue("a") == "%zz")
        #expect(r.queryValue("b") == "%")
        #expect(r.queryValue("c") == "%4")
    }

    @Test func keyWithoutValueAndInvalidUTF8() {
        let r = Request(method: "GET", path: "/", queryString: "flag&x=%FF")
        #expect(r.queryValue("flag") == "")
        #expect(r.queryValue("x") == "\u{FFFD}")
    }

    @Test func mediaTypeIgnoresParametersAndCase() {
        let r = Request(method: "POST", path: "/", headers: ["content-type": "Application/JSON; charset=utf-8"])
        #expect(r.mediaType == "application/json")
    }
}
