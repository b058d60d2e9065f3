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
/// string is JSON-escaped, control characters and newlines included, and
/// also U+0085, U+2028 and U+2029 (`lineSafe`), so a record is always
/// exactly one line whatever a value holds, even to Python's `splitlines`.
enum JSONLogLine {
    static let fixedKeys: Set<String> = ["ts", "level", "logger", "msg"]

    static func render(
        timestamp: timespec, level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + message.utf8.count)
        out.append(contentsOf: #"{"ts":""#.utf8)
        LogTimestamp.append(timestamp, into: &out)
        out.append(contentsOf: #"","level":""#.utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: #"","logger":"#.utf8)
        JSONWriter.writeString(label, into: &out, lineSafe: true)
        out.append(contentsOf: #","msg":"#.utf8)
        JSONWriter.writeString(message, into: &out, lineSafe: true)
        for (key, value) in metadata.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(fixedKeys.contains(key) ? "metadata." + key : key, into: &out, lineSafe: true)
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
            JSONWriter.writeString(s, into: &out, lineSafe: true)
        case .stringConvertible(let v):
            switch v {
            case let n as Int: out.append(contentsOf: String(n).utf8)
            case let d as Double where d.isFinite: JSONWriter.write(.number(d), into: &out)
            case let b as Bool: out.append(contentsOf: (b ? "true" : "false").utf8)
            default: JSONWriter.writeString(v.description, into: &out, lineSafe: true)
            }
        case .dictionary(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, member)) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
                .enumerated()
            {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(key, into: &out, lineSafe: true)
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
}
