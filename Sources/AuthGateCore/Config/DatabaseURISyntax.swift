/// The mistakes libpq's URI parser refuses, found first by AuthGate, so a
/// malformed `FLASK_SQLALCHEMY_DATABASE_URI` stops start-up with a message
/// that names the variable and never quotes it. libpq's own messages quote
/// the part they cannot parse, which may be the password or the whole URI.
enum DatabaseURISyntax {
    /// Why `value` cannot be used, or nil. Says what is wrong, never where
    /// in the value (a position would narrow down the password).
    static func problem(in value: String) -> String? {
        if value.utf8.contains(0) { return "contains a NUL byte" }
        return nil
    }

    /// For a `postgresql://` URI (scheme already normalised).
    static func postgresProblem(in uri: String) -> String? {
        if let problem = problem(in: uri) { return problem }
        if let problem = percentEscapeProblem(in: uri) { return problem }
        let rest = uri.firstRange(of: "://").map { uri[$0.upperBound...] } ?? uri[...]
        let queryStart = rest.firstIndex(of: "?")
        let beforeQuery = rest[..<(queryStart ?? rest.endIndex)]
        let slash = beforeQuery.firstIndex(of: "/") ?? beforeQuery.endIndex
        let authority = beforeQuery[..<slash]
        if beforeQuery[slash...].contains("@") || authority.filter({ $0 == "@" }).count > 1 {
            return "an '@' or '/' in the user name or password must be percent-encoded (%40, %2F)"
        }
        let hosts = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        for host in hosts.split(separator: ",", omittingEmptySubsequences: false) {
            if let problem = bracketProblem(in: host) { return problem }
        }
        if let queryStart {
            let query = rest[rest.index(after: queryStart)...]
            if !query.isEmpty {
                for parameter in query.split(separator: "&", omittingEmptySubsequences: false) {
                    let parts = parameter.split(separator: "=", omittingEmptySubsequences: false)
                    if parts.count != 2 || parts[0].isEmpty {
                        return "each query parameter must be one key=value, joined by '&' "
                            + "(an '=' or '&' inside a value percent-encoded: %3D, %26)"
                    }
                }
            }
        }
        return nil
    }

    /// Every `%` must start an escape of two hex digits, and none may be
    /// `%00` (libpq refuses a NUL inside a value).
    static func percentEscapeProblem(in uri: String) -> String? {
        let bytes = Array(uri.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = PercentDecoding.hexValue(bytes[i + 1]),
                    let low = PercentDecoding.hexValue(bytes[i + 2])
                else {
                    return "a '%' must start an escape of two hex digits (a literal '%' is written %25)"
                }
                if high == 0 && low == 0 { return "%00 (a NUL byte) is not allowed" }
                i += 3
            } else {
                i += 1
            }
        }
        return nil
    }

    /// One host of the host list: `[IPv6]` or `[IPv6]:port` with nothing
    /// else bracketed, or a name or IPv4 address with no bracket at all.
    static func bracketProblem(in host: Substring) -> String? {
        let unbalanced = "an IPv6 address must be written whole in brackets, as [::1] or [::1]:5432"
        guard host.first == "[" else {
            return host.contains(where: { $0 == "[" || $0 == "]" }) ? unbalanced : nil
        }
        guard let close = host.firstIndex(of: "]") else { return unbalanced }
        let inside = host[host.index(after: host.startIndex)..<close]
        let after = host[host.index(after: close)...]
        if inside.isEmpty { return "an IPv6 address in brackets must not be empty" }
        if inside.contains("[") || after.contains(where: { $0 == "[" || $0 == "]" }) { return unbalanced }
        if !after.isEmpty && after.first != ":" { return unbalanced }
        return nil
    }
}
