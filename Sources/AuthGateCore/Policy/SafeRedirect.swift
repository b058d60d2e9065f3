/// Where a browser may be sent after signing in or out (`rd`): a relative
/// path on this site, or an absolute http(s) URL whose host is on
/// `AUTHGATE_REDIRECT_HOSTS`. Anything else becomes `/`: other hosts,
/// scheme-relative `//evil`, backslashes (browsers read `/\evil` as
/// `//evil`), user info (`https://ok.example@evil`), whitespace and
/// control characters (browsers drop tabs and line breaks, turning
/// `/<TAB>/evil` into `//evil`), `javascript:` and every other scheme.
public enum SafeRedirect {
    public static let fallback = "/"
    /// Longer targets are refused rather than echoed into a Location header.
    public static let maxBytes = 2048

    public static func target(_ rd: String?, allowed hosts: RedirectHosts) -> String {
        guard let rd, isSafe(rd, allowed: hosts) else { return fallback }
        return rd
    }

    public static func isSafe(_ rd: String, allowed hosts: RedirectHosts) -> Bool {
        let bytes = Array(rd.utf8)
        guard !bytes.isEmpty, bytes.count <= maxBytes else { return false }
        // Visible ASCII only: a browser percent-encodes anything else in a
        // URL it sends, so a real return address never needs more.
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else { return false }
        if bytes[0] == UInt8(ascii: "/") {
            return bytes.count == 1 || bytes[1] != UInt8(ascii: "/")
        }
        let lower = rd.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = lower.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = lower.dropFirst(7)
        } else {
            return false
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return false }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || isPort(after) else { return false }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            guard isPort(authority[colon...]) else { return false }
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.hasSuffix(".") else { return false }
        return hosts.allows(host: String(host))
    }

    /// `:` then a port number (1 to 5 digits, at most 65535).
    static func isPort(_ text: Substring) -> Bool {
        let digits = text.dropFirst()
        guard text.first == ":", (1...5).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(digits)
        else { return false }
        return port <= 65535
    }
}
