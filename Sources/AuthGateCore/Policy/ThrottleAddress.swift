import Glibc

/// The client address the login throttle counts failures under. IPv4 as
/// it is; IPv6 by its /64, since one subscriber is normally given a whole
/// /64 and could otherwise try from as many addresses as it likes.
public enum ThrottleAddress {
    /// The counting key for `remoteAddress` (REMOTE_ADDR as nginx passed
    /// it): `2001:db8:1:2::/64` for any IPv6 address in that prefix, the
    /// IPv4 address for an IPv4-mapped one (`::ffff:192.0.2.1`), anything
    /// else unchanged. Nil when there is no address at all.
    public static func key(for remoteAddress: String) -> String? {
        let address = remoteAddress.trimmingASCIIWhitespace()
        guard !address.isEmpty else { return nil }
        guard address.contains(":") else { return address }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        for i in 8..<16 { bytes[i] = 0 }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, bytes, &text, socklen_t(text.count)) != nil else { return address }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/64"
    }
}
