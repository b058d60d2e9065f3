import AuthGateCore

/// `application/x-www-form-urlencoded` query parsing as Werkzeug does it:
/// `+` is a space, `%XX` a byte; a malformed escape stays literal; bytes
/// that are not UTF-8 become U+FFFD.
public enum QueryString {
    public static func parse(_ raw: String) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        // An array's integer indices: much cheaper to walk than the String's UTF-8 view.
        for part in Array(raw.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let eq = part.firstIndex(of: UInt8(ascii: "="))
            let name = eq.map { part[part.startIndex..<$0] } ?? part[...]
            let value = eq.map { part[part.index(after: $0)...] } ?? part[part.endIndex...]
            pairs.append((decode(name), decode(value)))
        }
        return pairs
    }

    /// One name or value: `+` a space, `%XX` a byte.
    public static func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        PercentDecoding.decode(bytes, plusIsSpace: true)
    }
}
