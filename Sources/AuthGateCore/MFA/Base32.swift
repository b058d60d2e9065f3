/// Base32 (RFC 4648 §6, alphabet A-Z 2-7), the encoding authenticator apps
/// use for TOTP secrets in `otpauth://` URIs and for typing a key by hand.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    /// Byte -> 5-bit value, 0xFF for anything outside the alphabet. Lower-case
    /// letters map like upper-case: people type keys in either case.
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() {
            table[Int(c)] = UInt8(i)
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { table[Int(c | 0x20)] = UInt8(i) }
        }
        return table
    }()

    /// Upper-case and without `=` padding: `otpauth://` secrets are written
    /// unpadded, and the `=` would need escaping in a URI anyway.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            buffer = buffer << 8 | UInt32(b)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(buffer >> UInt32(bits) & 0x1F)])
            }
            buffer &= (1 << UInt32(bits)) - 1  // keep only the bits not yet written
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(5 - bits) & 0x1F)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or nil. Accepts either case, ASCII spaces anywhere
    /// (apps show keys in groups) and trailing `=` padding. Refuses any other
    /// character, `=` before the end, and a length that leaves a whole unused
    /// character (1, 3 or 6 characters past a multiple of 8), which no encoder
    /// writes. As pyotp (Python's `b32decode`) and Google Authenticator do, the
    /// bits of the last character past the final byte are ignored, not required
    /// to be zero: keys typed from other systems decode as they do there.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        var characters = 0
        var padding = false
        for c in text.utf8 {
            if c == UInt8(ascii: " ") { continue }
            if c == UInt8(ascii: "=") {
                padding = true
                continue
            }
            let v = reverse[Int(c)]
            // Outside the alphabet, or data after padding.
            guard v != 0xFF, !padding else { return nil }
            characters += 1
            buffer = (buffer << 5 | UInt32(v)) & 0x1FFF  // at most 12 live bits, 13 kept
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        switch characters % 8 {
        case 1, 3, 6: return nil
        default: return out
        }
    }
}
