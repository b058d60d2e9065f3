/// The id a request is logged under. nginx's `REQUEST_ID` is used only
/// when it is a plain token, by the rule of nginx.conf's map
/// (`^[A-Za-z0-9._-]{1,64}$`): AuthGate does not rely on the proxy in
/// front having that map (another proxy, a copied configuration, a
/// FastCGI client of its own), since the id lands in every log line.
public enum RequestID {
    public static let maxLength = 64

    /// `sent` when well-formed, else `generated()` (called only then).
    public static func choose(_ sent: String?, otherwise generated: () -> String) -> String {
        if let sent, isWellFormed(sent) { return sent }
        return generated()
    }

    public static func isWellFormed(_ id: String) -> Bool {
        var count = 0
        for byte in id.utf8 {
            count += 1
            guard count <= maxLength else { return false }
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return count > 0
    }
}
