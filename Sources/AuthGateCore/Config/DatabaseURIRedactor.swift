/// Masks what a message may show of a PostgreSQL URI's secrets: the one
/// place that does it (the connection's errors, `check-config`).
///
/// libpq quotes what it cannot use, and for a URI it cannot parse that may
/// be the password (`invalid percent-encoded token: "S3cr%t!pw"`), a query
/// value (`?password=Hunter%2`), a piece of a password it split at a stray
/// `@` or `/` (`could not translate host name "ss@db"`), or the whole URI.
/// So the redactor masks, in this order:
/// 1. the whole URI, as `DatabaseLocation` prints it (user information and
///    query masked);
/// 2. wherever they appear: the user information, the password (as libpq
///    splits it and as a person meant it), password query values, query
///    segments without `=`, the query, each raw and percent-decoded;
/// 3. any double-quoted part of the message that is part of one of those
///    secrets, shares four characters in a row with one (all of a shorter
///    one), or holds a piece of one split at URI delimiters.
/// It masks more than needed rather than less: a message is for a person
/// finding a fault, never worth a leaked password.
package struct DatabaseURIRedactor: Sendable {
    /// Replaced wherever they occur, longest first.
    private let literals: [String]
    /// Secrets a quoted part must not overlap.
    private let secrets: [String]
    /// Pieces of secrets split at URI delimiters (two characters or more).
    private let pieces: [String]
    private let uri: String
    private let masked: String

    package static let mask = "***"
    /// Query parameters libpq treats as passwords.
    static let passwordKeys: Set<String> = ["password", "sslpassword"]

    package init(uri: String) {
        self.uri = uri
        self.masked = DatabaseLocation.postgres(uri: uri).description
        var secrets: [Substring] = []
        var literals: [Substring] = []
        let afterScheme = uri.firstRange(of: "://").map { uri[$0.upperBound...] } ?? uri[...]
        literals.append(afterScheme)
        let queryStart = afterScheme.firstIndex(of: "?")
        let beforeQuery = afterScheme[..<(queryStart ?? afterScheme.endIndex)]
        // libpq's user information ends at the first '@' before any '/';
        // what a person meant ends at the last '@' before the query.
        var ends: [Substring.Index] = []
        if let at = beforeQuery.firstIndex(where: { $0 == "@" || $0 == "/" }), beforeQuery[at] == "@" {
            ends.append(at)
        }
        if let at = beforeQuery.lastIndex(of: "@") { ends.append(at) }
        for end in ends {
            let userInfo = beforeQuery[..<end]
            guard let colon = userInfo.firstIndex(of: ":") else { continue }  // a user name alone is no secret
            literals.append(userInfo)
            secrets.append(userInfo[userInfo.index(after: colon)...])
        }
        if let queryStart {
            let query = afterScheme[afterScheme.index(after: queryStart)...]
            literals.append(query)
            for segment in query.split(separator: "&") {
                guard let eq = segment.firstIndex(of: "=") else {
                    secrets.append(segment)  // a value without its key (`?Hunter2`)
                    continue
                }
                let key = Self.percentDecoded(segment[..<eq]).lowercased()
                if Self.passwordKeys.contains(key) { secrets.append(segment[segment.index(after: eq)...]) }
            }
        }
        literals += secrets
        func withDecoded(_ parts: [Substring]) -> [String] {
            var out: [String] = []
            for part in parts where !part.isEmpty {
                for form in [String(part), Self.percentDecoded(part)] where !form.isEmpty && !out.contains(form) {
                    out.append(form)
                }
            }
            return out
        }
        self.literals = withDecoded(literals).sorted { $0.utf8.count > $1.utf8.count }
        self.secrets = withDecoded(secrets)
        let delimiters: Set<Character> = ["@", ":", "/", "?", "&", "=", ",", "[", "]", "%"]
        self.pieces = self.secrets.flatMap { $0.split(whereSeparator: delimiters.contains).map(String.init) }
            .filter { $0.count >= 2 }
    }

    /// `message` with every secret of the URI masked.
    package func redact(_ message: String) -> String {
        var out = message.replacing(uri, with: masked)
        for literal in literals { out = out.replacing(literal, with: Self.mask) }
        return maskQuotedParts(out)
    }

    /// Each `"..."` of `text` that touches a secret, as `"***"`.
    private func maskQuotedParts(_ text: String) -> String {
        guard !secrets.isEmpty, text.contains("\"") else { return text }
        let parts = text.split(separator: "\"", omittingEmptySubsequences: false)
        var out = ""
        for (i, part) in parts.enumerated() {
            if i > 0 { out += "\"" }
            // Odd parts are inside quotes (an unpaired last quote leaves its tail odd too).
            out += i % 2 == 1 && touchesSecret(part) ? Self.mask : String(part)
        }
        return out
    }

    private func touchesSecret(_ quoted: Substring) -> Bool {
        let text = Array(quoted)
        guard !text.isEmpty, String(quoted) != Self.mask else { return false }
        if pieces.contains(where: { quoted.contains($0) }) { return true }
        return secrets.contains { secret in
            if text.count >= 2 && secret.contains(quoted) { return true }
            let chars = Array(secret)
            return Self.longestCommonRun(text, chars) >= min(4, chars.count)
        }
    }

    /// The length of the longest run of characters `a` and `b` share.
    static func longestCommonRun(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var best = 0
        for i in 1...a.count {
            var current = [Int](repeating: 0, count: b.count + 1)
            for j in 1...b.count where a[i - 1] == b[j - 1] {
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
            }
            previous = current
        }
        return best
    }

    /// `%XX` escapes decoded; malformed ones kept as they are.
    static func percentDecoded(_ text: Substring) -> String { PercentDecoding.decode(text.utf8, plusIsSpace: false) }
}

extension DatabaseLocation {
    /// `message` with the PostgreSQL URI's secrets masked (see
    /// `DatabaseURIRedactor`); unchanged for SQLite.
    public func redacting(_ message: String) -> String {
        guard case .postgres(let uri) = self else { return message }
        return DatabaseURIRedactor(uri: uri).redact(message)
    }
}
