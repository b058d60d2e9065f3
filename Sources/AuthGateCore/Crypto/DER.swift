/// The few DER encodings (X.690) a public key needs when it arrives as
/// numbers rather than as DER: an RSA passkey's COSE key (`WebAuthnKey`).
enum DER {
    /// Tag, definite length (short or long form), contents.
    static func element(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        [tag] + length(contents.count) + contents
    }

    static func sequence(_ contents: [UInt8]) -> [UInt8] {
        element(0x30, contents)
    }

    /// A non-negative INTEGER from big-endian bytes: leading zeros dropped,
    /// one zero put back when the high bit is set (DER is minimal and
    /// two's complement). No bytes, or only zeros, is the integer 0.
    static func unsignedInteger(_ bigEndian: [UInt8]) -> [UInt8] {
        var digits = Array(bigEndian.drop { $0 == 0 })
        if digits.isEmpty || digits[0] & 0x80 != 0 { digits.insert(0, at: 0) }
        return element(0x02, digits)
    }

    private static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var rest = count
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
