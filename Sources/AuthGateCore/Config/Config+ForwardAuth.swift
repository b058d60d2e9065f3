/// Parsing of the forward-auth settings (docs/forward-auth.md).
extension Config {
    /// `AUTHGATE_VERIFY_COOKIE`: unset or empty is off; otherwise a cookie
    /// name as RFC 6265 allows one (an RFC 9110 token), compared byte for
    /// byte. Anything else stops start-up naming the variable.
    static func verifyCookieName(_ raw: String?) throws(ConfigError) -> String? {
        guard let raw, !raw.isEmpty else { return nil }
        guard raw.utf8.count <= 256, raw.utf8.allSatisfy(isTokenByte) else {
            throw ConfigError(
                variable: "AUTHGATE_VERIFY_COOKIE",
                message: "expected a cookie name (letters, digits and !#$%&'*+-.^_`|~), such as __Host-authgate")
        }
        return raw
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
