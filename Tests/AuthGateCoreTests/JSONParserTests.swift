import Testing
@testable import AuthGateCore
import AuthGateTestSupport

@Suite struct JSONParserTests {
    func parse(_ s: String) throws(JSONParser.Error) -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    @Test func objectsArraysAndScalars() throws {
        let v = try parse(#"{"a": [1, 2.5, -3e2, true, false, null], "b": "x\u00e9\n"}"#)
        #expect(v["a"] == .array([.number(1), .number(2.5), .number(-300), .bool(true), .bool(false), .null]))
        #expect(v["b"] == .string("xé\n"))
    }

    @Test func surrogatePairDecodes() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test func loneSurrogateIsInvalidStringNotAnError() throws {
        #expect(try parse(#"{"u": "\ud800"}"#)["u"] == .invalidString)
        #expect(try parse(#"{"u": "\udc00x"}"#)["u"] == .invalidString)
    }

    @Test func rejectsMalformedDocuments() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "tru", "\"\u{01}\"", "{} x", "'a'", "NaN"] {
            #expect(throws: JSONParser.Error.self) { try parse(bad) }
        }
    }

    @Test func rejectsBOMAndInvalidUTF8() {
        #expect(throws: JSONParser.Error.byteOrderMark) { try JSONParser.parse([0xEF, 0xBB, 0xBF, 0x7B, 0x7D]) }
        #expect(throws: JSONParser.Error.invalidUTF8) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func deepNestingIsRefusedWithoutRecursionBlowingUp() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParser.Error.tooDeep) { try parse(deep) }
    }

    @Test func writerEscapesControlCharacters() {
        var out: [UInt8] = []
        JSONWriter.writeString("a\"\\\u{01}\n", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"\\\u0001\n""#)
    }

    @Test func seededRandomInputNeverTraps() {
        var rng = SplitMix(seed: 42)
        let alphabet = Array(#"{}[],:"\u0123456789.eE+-truefalsn \#u{0}"#.utf8) + [0xC3, 0xA9, 0xFF]
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 40)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            _ = try? JSONParser.parse(bytes)
        }
    }
}

/// A small deterministic generator for seeded fuzz tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
