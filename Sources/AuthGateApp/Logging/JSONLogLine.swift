import Glibc
import Logging
import AuthGateCore

/// One log record as one line of JSON, newline included:
///
///     {"ts":"2025-01-02T03:04:05.678Z","level":"info","logger":"authgate","msg":"listening","address":"unix:/run/authgate/authgate.sock"}
///
/// The fixed fields come first; metadata follows at the top level, sorted
/// by key, so a line reads (and diffs) the same every time. A metadata key
/// that would shadow a fixed field is written as `metadata.<key>`. Every
/// string is JSON-escaped, control characters and newlines included, so a
/// record is always exactly one line whatever a value holds.
enum JSONLogLine {
    static let fixedKeys: Set<String> = ["ts", "level", "logger", "msg"]

    static func render(timestamp: timespec, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + message.utf8.count)
        out.append(contentsOf: #"{"ts":""#.utf8)
        appendTimestamp(timestamp, into: &out)
        out.append(contentsOf: #"","level":""#.utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: #"","logger":"#.utf8)
        JSONWriter.writeString(label, into: &out)
        out.append(contentsOf: #","msg":"#.utf8)
        JSONWriter.writeString(message, into: &out)
        for (key, value) in metadata.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(fixedKeys.contains(key) ? "metadata." + key : key, into: &out)
            out.append(UInt8(ascii: ":"))
            appendValue(value, into: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    /// Strings stay strings; integers, finite doubles and booleans logged
    /// as such (`"\(n)"` becomes `.string`, so only `.stringConvertible`
    /// values can be numbers) are JSON numbers and booleans.
    static func appendValue(_ value: Logger.MetadataValue, into out: inout [UInt8]) {
        switch value {
        case .string(let s):
            JSONWriter.writeString(s, into: &out)
        case .stringConvertible(let v):
            switch v {
            case let n as Int: out.append(contentsOf: String(n).utf8)
            case let d as Double where d.isFinite: JSONWriter.write(.number(d), into: &out)
            case let b as Bool: out.append(contentsOf: (b ? "true" : "false").utf8)
            default: JSONWriter.writeString(v.description, into: &out)
            }
        case .dictionary(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, member)) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
                .enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    /// RFC 3339 in UTC with milliseconds: `2025-01-02T03:04:05.678Z`.
    /// Digits are written straight into `out`: no string per field.
    static func appendTimestamp(_ ts: timespec, into out: inout [UInt8]) {
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int, then separator: UInt8) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = max(0, value)
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
            out.append(separator)
        }
        digits(parts.tm_year + 1900, 4, then: UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2, then: UInt8(ascii: "-"))
        digits(parts.tm_mday, 2, then: UInt8(ascii: "T"))
        digits(parts.tm_hour, 2, then: UInt8(ascii: ":"))
        digits(parts.tm_min, 2, then: UInt8(ascii: ":"))
        digits(parts.tm_sec, 2, then: UInt8(ascii: "."))
        digits(Int32(ts.tv_nsec / 1_000_000), 3, then: UInt8(ascii: "Z"))
    }
}
