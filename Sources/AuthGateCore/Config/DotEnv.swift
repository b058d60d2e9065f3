/// Parses `.env` text in python-dotenv's dialect, the one Flask loads:
/// `KEY=value`, optional `export `, `#` comments (on their own line, or after
/// whitespace following an unquoted value), 'single quotes' (literal but
/// for `\\` and `\'`), "double quotes" (backslash escapes, may span lines),
/// and `${NAME}` / `${NAME:-default}` expansion in unquoted and double-quoted
/// values. A line without `=` names no value and is skipped, as is a line
/// that does not parse.
public enum DotEnv {
    /// `lookup` resolves `${NAME}` from outside the file (the environment,
    /// which wins, as in python-dotenv with `override=False`).
    public static func parse(_ text: String, lookup: (String) -> String? = { _ in nil }) -> [String: String] {
        var result: [String: String] = [:]
        // "\r\n" is one Character in Swift: make it a plain "\n" first.
        var s = Substring(String(text.map { $0 == "\r\n" ? "\n" : $0 }))
        while !s.isEmpty {
            skip(&s, while: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            if s.isEmpty { break }
            if s.first == "#" { skipLine(&s); continue }
            if s.hasPrefix("export ") || s.hasPrefix("export\t") {
                s = s.dropFirst(7)
                skip(&s, while: { $0 == " " || $0 == "\t" })
            }
            let key = String(
                s.prefix { !($0 == "=" || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "#") })
            s = s.dropFirst(key.count)
            skip(&s, while: { $0 == " " || $0 == "\t" })
            guard !key.isEmpty, s.first == "=" else { skipLine(&s); continue }
            s = s.dropFirst()
            skip(&s, while: { $0 == " " || $0 == "\t" })
            let resolve: (String) -> String? = { name in lookup(name) ?? result[name] }
            switch s.first {
            case "'":
                guard let value = quoted(&s, quote: "'") else { skipLine(&s); continue }
                result[key] = unescapeSingle(value)
                skipLine(&s)
            case "\"":
                guard let value = quoted(&s, quote: "\"") else { skipLine(&s); continue }
                result[key] = expand(unescapeDouble(value), resolve)
                skipLine(&s)
            default:
                let line = s.prefix { $0 != "\n" && $0 != "\r" }
                s = s.dropFirst(line.count)
                result[key] = expand(stripComment(line), resolve)
            }
        }
        return result
    }

    private static func skip(_ s: inout Substring, while predicate: (Character) -> Bool) {
        while let c = s.first, predicate(c) { s = s.dropFirst() }
    }

    private static func skipLine(_ s: inout Substring) {
        skip(&s, while: { $0 != "\n" })
    }

    /// The text between a pair of quotes, escapes left in; nil if unterminated.
    private static func quoted(_ s: inout Substring, quote: Character) -> String? {
        var body = ""
        var i = s.index(after: s.startIndex)
        while i < s.endIndex {
            let c = s[i]
            if c == "\\", s.index(after: i) < s.endIndex {
                body.append(c)
                i = s.index(after: i)
                body.append(s[i])
            } else if c == quote {
                s = s[s.index(after: i)...]
                return body
            } else {
                body.append(c)
            }
            i = s.index(after: i)
        }
        return nil
    }

    private static func unescapeSingle(_ v: String) -> String {
        var out = ""
        var it = v.makeIterator()
        while let c = it.next() {
            if c == "\\" {
                guard let n = it.next() else { out.append(c); break }
                if n == "\\" || n == "'" { out.append(n) } else { out.append(c); out.append(n) }
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static func unescapeDouble(_ v: String) -> String {
        var out = ""
        var it = v.makeIterator()
        while let c = it.next() {
            guard c == "\\" else { out.append(c); continue }
            guard let n = it.next() else { out.append(c); break }
            switch n {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\", "\"", "'": out.append(n)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            default: out.append(c); out.append(n)
            }
        }
        return out
    }

    /// An unquoted value ends at a `#` that follows whitespace; trailing
    /// whitespace goes.
    private static func stripComment(_ line: Substring) -> String {
        var previousWasSpace = true
        var end = line.endIndex
        for i in line.indices {
            let c = line[i]
            if c == "#" && previousWasSpace { end = i; break }
            previousWasSpace = c == " " || c == "\t"
        }
        return String(line[..<end]).trimmingASCIIWhitespace()
    }

    /// `${NAME}` and `${NAME:-default}`; an unknown name expands to "".
    private static func expand(_ v: String, _ resolve: (String) -> String?) -> String {
        guard v.contains("${") else { return v }
        var out = ""
        var rest = Substring(v)
        while let start = rest.firstRange(of: "${") {
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { break }
            out += rest[..<start.lowerBound]
            let inner = rest[start.upperBound..<close]
            if let sep = inner.firstRange(of: ":-") {
                out += resolve(String(inner[..<sep.lowerBound])) ?? String(inner[sep.upperBound...])
            } else {
                out += resolve(String(inner)) ?? ""
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
