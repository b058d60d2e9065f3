import AuthGateCore
/// The forward-auth cookie source (`AUTHGATE_VERIFY_COOKIE`): the token as
/// a browser sends it in a cookie. A cookie rides along on cross-site
/// requests, so it counts only for methods that change nothing (GET,
/// HEAD) of the request nginx is authorizing; anything else must carry
/// the Authorization header (docs/forward-auth.md, CSRF).
enum TokenCookie {
    /// Only what nginx says the original method was: a recipe that does not
    /// pass it gets no cookie source rather than one for every method.
    static func isSafe(originalMethod: String?) -> Bool {
        originalMethod == "GET" || originalMethod == "HEAD"
    }

    /// The value of the one cookie called `name` in `header`. None is the
    /// missing-header error; two are refused as two tokens are (a cookie
    /// set by a sibling domain must not choose the identity).
    static func token(named name: String, in header: String?) throws(TokenError) -> [UInt8] {
        guard let header else { throw .authorizationHeader }
        let wanted = Array(name.utf8)
        var found: [UInt8]?
        // RFC 6265 §4.2.1: `name=value` pairs separated by ";" and blanks.
        for pair in Array(header.utf8).split(separator: UInt8(ascii: ";")) {
            let trimmed = pair.drop { $0 == 0x20 || $0 == 0x09 }
            guard let eq = trimmed.firstIndex(of: UInt8(ascii: "=")),
                trimmed[trimmed.startIndex..<eq].elementsEqual(wanted)
            else { continue }
            guard found == nil else { throw .invalidToken }
            var value = trimmed[trimmed.index(after: eq)...]
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            found = Array(value)
        }
        guard let found else { throw .authorizationHeader }
        guard !found.isEmpty else { throw .invalidToken }
        return found
    }
}
