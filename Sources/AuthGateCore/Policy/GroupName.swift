/// The one rule for group names (`authgate add-to-group`, `/auth/verify?
/// allowed_groups=`, the token's `groups` claim): 1 to 64 characters of
/// `A-Z a-z 0-9 . _ -`. Narrow on purpose: a name never needs quoting in
/// a query, a header list or an nginx location, and none can hold the
/// comma that separates them.
public enum GroupName {
    public static let maxLength = 64

    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= maxLength && bytes.allSatisfy(isNameByte)
    }

    /// `a,b,c` as a list of valid names, or nil when any entry (an empty
    /// one included: `a,,b`, a trailing comma) is not a group name.
    /// Duplicates are kept as written; they change nothing.
    public static func list(_ text: String) -> [String]? {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return names.allSatisfy(isValid) ? names : nil
    }

    /// Sorted as their bytes compare (what `ORDER BY ... COLLATE "C"` gives):
    /// the order of the claim and the header whatever the store returned.
    public static func sorted(_ names: [String]) -> [String] {
        names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
