import Glibc
import Logging

/// One log record as one line of plain text (`AUTHGATE_LOG_FORMAT=text`),
/// newline included:
///
///     2025-01-02T03:04:05.678Z notice authgate.audit: audit event=login.failure username="a b" status=400
///
/// Timestamp, level, logger, message, then the metadata sorted by key. A
/// client controls some of it (a username), so nothing may look like a
/// line, a field or a terminal command of its own: every control
/// character (C0, DEL, C1 with U+0085 NEL), U+2028, U+2029 and the bidi
/// overrides and isolates are escaped (`\n`, `\x1b`, `\u2028`), and so is
/// the backslash, so an escape in the log always came from the escaping.
/// A value that is empty or holds a space, `"` or `=` is quoted.
enum TextLogLine {
    static func render(
        timestamp: timespec, level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(120 + message.utf8.count)
        LogTimestamp.append(timestamp, into: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: level.rawValue.utf8)
        out.append(UInt8(ascii: " "))
        appendEscaped(label, into: &out)
        out.append(contentsOf: ": ".utf8)
        appendEscaped(message, into: &out)
        for (key, value) in metadata.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            out.append(UInt8(ascii: " "))
            appendField(key, into: &out)
            out.append(UInt8(ascii: "="))
            appendField(text(of: value), into: &out)
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// A metadata value as text; nested ones as swift-log prints them.
    static func text(of value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let v): return v.description
        case .dictionary, .array: return value.description
        }
    }

    /// A key or value: bare when it cannot be mistaken for more than one
    /// field, else in double quotes.
    static func appendField(_ text: String, into out: inout [UInt8]) {
        let quoted =
            text.isEmpty
            || text.utf8.contains {
                $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"")
                    || $0 == UInt8(ascii: "=")
            }
        if quoted { out.append(UInt8(ascii: "\"")) }
        appendEscaped(text, into: &out, quoting: quoted)
        if quoted { out.append(UInt8(ascii: "\"")) }
    }

    /// `text` with the characters above escaped (and `"` when `quoting`).
    static func appendEscaped(_ text: String, into out: inout [UInt8], quoting: Bool = false) {
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x5C: out.append(contentsOf: #"\\"#.utf8)
            case 0x22 where quoting: out.append(contentsOf: #"\""#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20, 0x7F: appendHex(v, prefix: #"\x"#, digits: 2, into: &out)
            case 0x80...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                appendHex(v, prefix: #"\u"#, digits: 4, into: &out)
            default: UTF8.encode(scalar) { out.append($0) }
            }
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    static func appendHex(_ value: UInt32, prefix: String, digits: Int, into out: inout [UInt8]) {
        out.append(contentsOf: prefix.utf8)
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            out.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
