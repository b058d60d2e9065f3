/// Builds compact JSON text. Keys are written in the order given, so a
/// response reads the way the contract shows it.
public enum JSONWriter {
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null, .invalidString: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): writeNumber(n, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            writeObject(members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }, into: &out)
        }
    }

    /// An object with its keys in the given order.
    public static func writeObject(_ members: [(String, JSONValue)], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (key, value)) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            write(value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    public static func object(_ members: [(String, JSONValue)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        writeObject(members, into: &out)
        return out
    }

    static func writeNumber(_ n: Double, into out: inout [UInt8]) {
        if n.isFinite, n == n.rounded(), abs(n) < 1e18, let i = Int64(exactly: n) {
            out.append(contentsOf: String(i).utf8)
        } else if n.isFinite {
            out.append(contentsOf: "\(n)".utf8)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// `s` as a JSON string. `lineSafe` (for log lines) also escapes, as
    /// `\uXXXX`, what JSON allows raw but some line-based tools take for a
    /// line break or a terminal control: DEL, the C1 controls (U+0085 NEL
    /// among them), U+2028 and U+2029 (Python's `str.splitlines` splits on
    /// all of these). Answers leave them raw, as they always were.
    public static func writeString(_ s: String, into out: inout [UInt8], lineSafe: Bool = false) {
        out.append(UInt8(ascii: "\""))
        // Most strings (ids, names, emails) need no escape: copied whole
        // instead of appended byte by byte. 0xC2 and 0xE2 lead the UTF-8 of
        // C1 controls and of U+2028/U+2029.
        let copied = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            let plain =
                lineSafe
                ? bytes.allSatisfy {
                    $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
                        && $0 != 0x7F && $0 != 0xC2 && $0 != 0xE2
                }
                : bytes.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            guard plain else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20: writeEscape(UInt16(b), into: &out)
            case 0x7F where lineSafe: writeEscape(0x7F, into: &out)
            case 0xC2 where lineSafe && i < bytes.count && (0x80...0x9F).contains(bytes[i]):
                writeEscape(UInt16(bytes[i]), into: &out)  // U+0080...U+009F
                i += 1
            case 0xE2
            where lineSafe && i + 1 < bytes.count && bytes[i] == 0x80 && (bytes[i + 1] == 0xA8 || bytes[i + 1] == 0xA9):
                writeEscape(bytes[i + 1] == 0xA8 ? 0x2028 : 0x2029, into: &out)
                i += 2
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `\uXXXX`, lower-case hex.
    static func writeEscape(_ unit: UInt16, into out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int((unit >> UInt16(shift)) & 0xF)]) }
    }
}
