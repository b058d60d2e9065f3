/// A CBOR data item (RFC 8949) as WebAuthn uses it: attestation objects
/// and COSE keys. Only definite lengths; tags, indefinite lengths and
/// undefined simple values are refused (CTAP2's canonical encoding never
/// holds them).
public indirect enum CBORValue: Equatable, Sendable {
    case unsigned(UInt64)
    /// The value -1 - n (so `.negative(6)` is -7, ES256's COSE number).
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBORValue])
    /// Pairs in their encoded order; keys compare as encoded values.
    case map([CBORPair])
    case bool(Bool)
    case null
    /// A float's IEEE 754 double bit pattern: equality stays reflexive
    /// (a NaN equals itself), as the other cases' is.
    case float(bitPattern: UInt64)

    /// The value as a signed integer, when it is one that fits.
    public var intValue: Int64? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): return n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: return nil
        }
    }

    /// The member under integer key `key` of a map (COSE keys).
    public subscript(int key: Int64) -> CBORValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key.intValue == key }?.value
    }

    /// The member under text key `key` of a map (attestation objects).
    public subscript(text key: String) -> CBORValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { if case .text(let k) = $0.key { return k == key } else { return false } }?.value
    }

    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { return b } else { return nil } }
    public var textValue: String? { if case .text(let t) = self { return t } else { return nil } }
}

public struct CBORPair: Equatable, Sendable {
    public var key: CBORValue
    public var value: CBORValue
}

public enum CBORError: Error, Equatable, Sendable {
    case truncated
    case unsupported(String)
    case tooDeep
    case tooMany
    case invalidText
    case trailingBytes
    case duplicateKey
}

/// A bounded decoder: every length is checked against the bytes left
/// before anything is allocated, nesting stops at `maxDepth`, and the
/// whole item holds at most `maxItems` values, so no input can make it
/// allocate or recurse beyond what its own size allows.
public struct CBORDecoder {
    public static let maxDepth = 16
    public static let maxItems = 1024

    private let bytes: [UInt8]
    private(set) var offset: Int
    private var items = 0

    /// One item filling `bytes` exactly.
    public static func decode(_ bytes: [UInt8]) throws(CBORError) -> CBORValue {
        var decoder = CBORDecoder(bytes: bytes, offset: 0)
        let value = try decoder.item(depth: 0)
        guard decoder.offset == bytes.count else { throw .trailingBytes }
        return value
    }

    /// One item at the start of `bytes[offset...]`, and where it ends
    /// (authenticator data holds a COSE key followed by more).
    public static func decodePrefix(_ bytes: [UInt8], at offset: Int) throws(CBORError) -> (CBORValue, end: Int) {
        guard offset >= 0, offset <= bytes.count else { throw .truncated }
        var decoder = CBORDecoder(bytes: bytes, offset: offset)
        let value = try decoder.item(depth: 0)
        return (value, decoder.offset)
    }

    private init(bytes: [UInt8], offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    private mutating func byte() throws(CBORError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func take(_ count: UInt64) throws(CBORError) -> ArraySlice<UInt8> {
        guard count <= UInt64(bytes.count - offset) else { throw .truncated }
        let end = offset + Int(count)
        defer { offset = end }
        return bytes[offset..<end]
    }

    /// The argument of a head: the additional information itself, or the
    /// 1, 2, 4 or 8 bytes after it.
    private mutating func argument(_ info: UInt8) throws(CBORError) -> UInt64 {
        switch info {
        case 0..<24: return UInt64(info)
        case 24, 25, 26, 27:
            let width = 1 << Int(info - 24)
            var value: UInt64 = 0
            for b in try take(UInt64(width)) { value = value << 8 | UInt64(b) }
            return value
        default:
            throw .unsupported("indefinite length or reserved additional information")
        }
    }

    private mutating func item(depth: Int) throws(CBORError) -> CBORValue {
        guard depth < Self.maxDepth else { throw .tooDeep }
        items += 1
        guard items <= Self.maxItems else { throw .tooMany }
        let head = try byte()
        let major = head >> 5
        let info = head & 0x1F
        if major == 7 { return try simple(info) }
        let argument = try argument(info)
        switch major {
        case 0: return .unsigned(argument)
        case 1: return .negative(argument)
        case 2: return .bytes(Array(try take(argument)))
        case 3:
            let raw = try take(argument)
            guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidText }
            return .text(text)
        case 4:
            // Each element takes at least one byte: a count beyond the bytes left is a lie.
            guard argument <= UInt64(bytes.count - offset) else { throw .truncated }
            var elements: [CBORValue] = []
            elements.reserveCapacity(Int(argument))
            for _ in 0..<argument { elements.append(try item(depth: depth + 1)) }
            return .array(elements)
        case 5:
            guard argument <= UInt64(bytes.count - offset) / 2 else { throw .truncated }
            var pairs: [CBORPair] = []
            pairs.reserveCapacity(Int(argument))
            for _ in 0..<argument {
                let key = try item(depth: depth + 1)
                let value = try item(depth: depth + 1)
                // A second value under one key would let two readers see two objects.
                guard !pairs.contains(where: { $0.key == key }) else { throw .duplicateKey }
                pairs.append(CBORPair(key: key, value: value))
            }
            return .map(pairs)
        default:
            throw .unsupported("tag")
        }
    }

    private mutating func simple(_ info: UInt8) throws(CBORError) -> CBORValue {
        switch info {
        case 20: return .bool(false)
        case 21: return .bool(true)
        case 22: return .null
        case 25: return .float(bitPattern: Self.half(UInt16(try argument(info))).bitPattern)
        case 26: return .float(bitPattern: Double(Float(bitPattern: UInt32(try argument(info)))).bitPattern)
        case 27: return .float(bitPattern: try argument(info))
        default: throw .unsupported("simple value \(info)")
        }
    }

    /// IEEE 754 half precision (RFC 8949 Appendix D).
    private static func half(_ bits: UInt16) -> Double {
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Double(bits & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = mantissa * 0x1p-24
        case 31: magnitude = mantissa == 0 ? .infinity : .nan
        default: magnitude = (mantissa + 1024) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
        return bits & 0x8000 != 0 ? -magnitude : magnitude
    }
}
