/// `AUTHGATE_REDIRECT_HOSTS`: the hosts an absolute `rd` (the page a
/// browser returns to after signing in or out) may name. An entry is an
/// exact host (`app.example.com`) or, with a leading dot, any subdomain of
/// one (`.example.com` allows `a.example.com`, not `example.com` itself:
/// list both for both). Empty (the default): relative paths only.
public struct RedirectHosts: Sendable, Equatable {
    public var exact: [String]
    public var suffixes: [String]

    public static let none = RedirectHosts(exact: [], suffixes: [])

    public static func parse(_ raw: String) throws(ConfigError) -> RedirectHosts {
        var hosts = RedirectHosts.none
        for part in raw.split(separator: ",") {
            let entry = String(part.trimmingASCIIWhitespace()).lowercased()
            if entry.isEmpty { continue }
            let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            guard !name.isEmpty, name.utf8.count <= 253, name.utf8.allSatisfy(isHostByte) else {
                throw ConfigError(
                    variable: "AUTHGATE_REDIRECT_HOSTS",
                    message: "expected hosts separated by commas, such as app.example.com,.example.org")
            }
            if entry.hasPrefix(".") { hosts.suffixes.append("." + name) } else { hosts.exact.append(name) }
        }
        return hosts
    }

    /// `host` is lower-cased already, without a port.
    public func allows(host: String) -> Bool {
        exact.contains { $0.utf8.elementsEqual(host.utf8) }
            || suffixes.contains { host.utf8.count > $0.utf8.count && host.hasSuffix($0) }
    }

    /// Letters, digits, `-` and `.`: a host name or an IPv4 address, no
    /// port (any port of a listed host is allowed) and no IPv6 literal (a
    /// Content-Security-Policy source cannot name one).
    static func isHostByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
