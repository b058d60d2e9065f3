import Testing
import AuthGateCore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The users page's hot path was rewritten for speed;
/// each piece here must give exactly what the plain version it replaced gave.
@Suite struct FastPathEquivalenceTests {
    /// What `Authenticator` used before: the header split at spaces and tabs.
    static func reference(_ header: String) -> [String] {
        header.utf8.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        "", " ", "\t \t", "Bearer", "Bearer abc", "  Bearer \t abc  ", "Bearer a b", "Bearer a b c d",
        "bearer\tabc", "Basic abc", "x", "Bearer  a\u{00A0}b", "Bearer \u{212A}"
    ])
    func authorizationFieldsMatchSplit(header: String) {
        let bytes = Array(header.utf8)
        let parts = Authenticator.fields(bytes)
        let expected = Self.reference(header)
        let text = { (r: Range<Int>?) in r.map { String(decoding: bytes[$0], as: UTF8.self) } }
        #expect(text(parts.first) == expected.first)
        #expect(text(parts.second) == (expected.count > 1 ? expected[1] : nil))
        #expect(parts.more == (expected.count > 2))
    }

    @Test func bearerSchemeInAnyCase() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            #expect(Authenticator.isBearer(ArraySlice(scheme.utf8)))
        }
        for scheme in ["Bearer1", "Bear", "Basic", ""] { #expect(!Authenticator.isBearer(ArraySlice(scheme.utf8))) }
    }

    @Test func stringsWithoutEscapesAreCopiedAsTheyAre() {
        for (input, json) in [
            ("", #""""#), ("user0@bench.io", #""user0@bench.io""#), ("é\u{7F}🙂", "\"é\u{7F}🙂\""),
            (String(repeating: "x", count: 40), "\"" + String(repeating: "x", count: 40) + "\""),
            ("a\"b", #""a\"b""#), ("a\\b", #""a\\b""#), ("tab\there", #""tab\there""#),
            ("\u{01}", #""\u0001""#), ("line\n", #""line\n""#)
        ] {
            var out: [UInt8] = [UInt8(ascii: "[")]
            JSONWriter.writeString(input, into: &out)
            #expect(out == Array(("[" + json).utf8), "\(input)")
        }
    }

    @Test func queryValuesWithoutEscapesDecodeAsBefore() {
        #expect(QueryString.decode(Array("page".utf8)) == "page")
        #expect(QueryString.decode([UInt8]()) == "")
        #expect(QueryString.decode([0x61, 0xFF]) == "a\u{FFFD}")
        #expect(QueryString.decode(Array("a+b%41%zz".utf8)) == "a bA%zz")
        #expect(QueryString.decode(Array("a%".utf8)) == "a%")
        #expect(QueryString.decode(Array("%4".utf8)) == "%4")
        #expect(QueryString.decode(Array("%%41".utf8)) == "%A")
        // Bytes that are not contiguous in memory take the copying path.
        #expect(QueryString.decode(AnyCollection(Array("a+b%41%zz%4".utf8))) == "a bA%zz%4")
        #expect(
            QueryString.parse("page=1&&per_page=3&x").map { "\($0.name)=\($0.value)" } == ["page=1", "per_page=3", "x="]
        )
    }

    @Test func wirePartsAreTheSerializedResponse() {
        var response = Response(
            status: 401, headers: [(name: "WWW-Authenticate", value: "Bearer")],
            body: Array(#"{"msg":"x"}"#.utf8))
        var parts = response.wireParts
        #expect(parts.head + parts.body == response.serialized())
        #expect(
            String(decoding: parts.head, as: UTF8.self)
                == "Status: 401 Unauthorized\r\nContent-Type: application/json\r\n"
                + "Content-Length: 11\r\nX-Content-Type-Options: nosniff\r\nWWW-Authenticate: Bearer\r\n\r\n")
        response = response.answering("HEAD")
        parts = response.wireParts
        #expect(parts.body.isEmpty)
        #expect(parts.head == response.serialized())
    }
}
