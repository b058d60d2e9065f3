import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// The address the login throttle counts under: IPv4 as it is, IPv6 by
/// its /64 (one subscriber's usual prefix), none for an empty address.
@Suite struct ThrottleAddressTests {
    @Test(arguments: [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:0DB8:0001:0002:0:0:0:9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::1", "::/64"),
        ("unix:", "unix:"),  // not an IP address: kept as nginx gave it
        ("fe80::1%eth0", "fe80::1%eth0"),
        (" 198.51.100.7 ", "198.51.100.7")
    ])
    func keys(address: String, key: String) {
        #expect(ThrottleAddress.key(for: address) == key)
    }

    @Test(arguments: ["", "  "])
    func noAddressHasNoKey(address: String) {
        #expect(ThrottleAddress.key(for: address) == nil)
    }
}
