import Testing
@testable import AuthGateCore

/// RFC 8949 Appendix A examples, and the decoder's bounds.
@Suite struct CBORTests {
    static func hex(_ text: String) -> [UInt8] { WebAuthnCeremonyTests.hex(text) }

    @Test(arguments: [
        ("00", CBORValue.unsigned(0)), ("17", .unsigned(23)), ("1818", .unsigned(24)), ("1903e8", .unsigned(1000)),
        ("1bffffffffffffffff", .unsigned(UInt64.max)), ("20", .negative(0)), ("3863", .negative(99)),
        ("3bffffffffffffffff", .negative(UInt64.max)), ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])),
        ("60", .text("")), ("6449455446", .text("IETF")), ("62c3bc", .text("ü")), ("f4", .bool(false)),
        ("f5", .bool(true)), ("f6", .null), ("f93c00", .float(bitPattern: Double(1.0).bitPattern)),
        ("f97bff", .float(bitPattern: Double(65504.0).bitPattern)),
        ("fa47c35000", .float(bitPattern: Double(100000.0).bitPattern)),
        ("fb3ff199999999999a", .float(bitPattern: Double(1.1).bitPattern)), ("80", .array([])),
        ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
        (
            "a201020304",
            .map([
                CBORPair(key: .unsigned(1), value: .unsigned(2)), CBORPair(key: .unsigned(3), value: .unsigned(4))
            ])
        )
    ])
    func decodesTheRFCExamples(_ hex: String, _ expected: CBORValue) throws {
        #expect(try CBORDecoder.decode(Self.hex(hex)) == expected)
    }

    @Test func integersReadAsCOSENumbers() throws {
        #expect(try CBORDecoder.decode(Self.hex("26")).intValue == -7)
        #expect(try CBORDecoder.decode(Self.hex("27")).intValue == -8)
        #expect(try CBORDecoder.decode(Self.hex("1bffffffffffffffff")).intValue == nil)
        let key = try CBORDecoder.decode(Self.hex("a3010203262001"))
        #expect(key[int: 1] == .unsigned(2) && key[int: 3]?.intValue == -7 && key[int: -1] == .unsigned(1))
        #expect(key[int: 9] == nil && key[text: "fmt"] == nil)
    }

    @Test(arguments: [
        ("", CBORError.truncated), ("18", .truncated), ("44010203", .truncated), ("62c3", .truncated),
        ("9f01ff", .unsupported("indefinite length or reserved additional information")),
        ("5f4101ff", .unsupported("indefinite length or reserved additional information")),
        ("c074", .unsupported("tag")), ("f7", .unsupported("simple value 23")), ("0000", .trailingBytes),
        ("62c328", .invalidText), ("a201020103", .duplicateKey),
        ("9bffffffffffffffff", .truncated), ("bbffffffffffffffff", .truncated)
    ])
    func refusesWhatWebAuthnNeverSends(_ hex: String, _ error: CBORError) {
        #expect(throws: error) { try CBORDecoder.decode(Self.hex(hex)) }
    }

    @Test func nestingAndItemCountAreBounded() {
        let deep = Array(repeating: UInt8(0x81), count: CBORDecoder.maxDepth) + [0x00]
        #expect(throws: CBORError.tooDeep) { try CBORDecoder.decode(deep) }
        let fine = Array(repeating: UInt8(0x81), count: CBORDecoder.maxDepth - 1) + [0x00]
        #expect((try? CBORDecoder.decode(fine)) != nil)
        // An array of 2,000 zeros: more items than allowed.
        let many = [0x99, 0x07, 0xD0] + Array(repeating: UInt8(0), count: 2000)
        #expect(throws: CBORError.tooMany) { try CBORDecoder.decode(many) }
    }

    @Test func aPrefixDecodeSaysWhereTheItemEnds() throws {
        let bytes = Self.hex("a10102ff")
        let (value, end) = try CBORDecoder.decodePrefix(bytes, at: 0)
        #expect(value == .map([CBORPair(key: .unsigned(1), value: .unsigned(2))]) && end == 3)
        #expect(throws: CBORError.truncated) { try CBORDecoder.decodePrefix(bytes, at: 5) }
    }

    /// Found by the fuzzer: a NaN decoded twice is the same value.
    @Test func aNaNEqualsItself() throws {
        let nan = Self.hex("fbffffffffffffff1f")
        #expect(try CBORDecoder.decode(nan) == CBORDecoder.decode(nan))
        #expect(
            try CBORDecoder.decode(Self.hex("f97e00"))
                == .float(bitPattern: Double(Float16(bitPattern: 0x7E00)).bitPattern))
    }
}
