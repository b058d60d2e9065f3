/// `%XX` escapes decoded into bytes, as Werkzeug and libpq read them: a
/// malformed escape stays literal; bytes that are not UTF-8 become U+FFFD.
/// The one decoder for query strings, form bodies and database URIs.
package enum PercentDecoding {
    /// `plusIsSpace`: `+` is a space (`application/x-www-form-urlencoded`).
    package static func decode<C: Collection>(_ bytes: C, plusIsSpace: Bool) -> String where C.Element == UInt8 {
        // Callers in other modules get this unspecialized: walking each byte
        // through the collection's witness table was 10 % of a users-page
        // request's CPU. Contiguous bytes go to the concrete loop instead.
        if let decoded = bytes.withContiguousStorageIfAvailable({ decode(buffer: $0, plusIsSpace: plusIsSpace) }) {
            return decoded
        }
        return Array(bytes).withUnsafeBufferPointer { decode(buffer: $0, plusIsSpace: plusIsSpace) }
    }

    private static func decode(buffer bytes: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool) -> String {
        // Nothing to decode (`page=1`): no scratch buffer.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if plusIsSpace, b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count,
                let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
