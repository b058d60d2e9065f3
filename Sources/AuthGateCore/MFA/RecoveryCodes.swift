/// One-time recovery codes: the way back in when the authenticator is lost.
/// Each is 10 characters of the lower-case base32 alphabet (50 random bits),
/// shown as "xxxxx-xxxxx". Only a keyed digest is stored, never the code.
public enum RecoveryCodes {
    public static let count = 10
    static let length = 10
    /// Base32's alphabet, lower-cased.
    static let alphabet = Base32.alphabet.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }

    /// `count` fresh, distinct codes. 32 divides 256, so `byte & 31` picks
    /// each character uniformly (no modulo bias).
    public static func generate() throws -> [String] {
        var codes: [String] = []
        while codes.count < count {
            let random = try Crypto.randomBytes(length)
            var chars = random.map { alphabet[Int($0 & 0x1F)] }
            chars.insert(UInt8(ascii: "-"), at: length / 2)
            let code = String(decoding: chars, as: UTF8.self)
            // A repeat (chance about 2^-44 per set) would be one code, not two.
            if !codes.contains(code) { codes.append(code) }
        }
        return codes
    }

    /// The canonical form of what a user typed: ASCII letters lower-cased,
    /// '-' and spaces dropped; nil unless exactly 10 characters of a-z, 2-7
    /// remain. Both the digest and the comparison use this form.
    public static func normalized(_ input: String) -> String? {
        var out: [UInt8] = []
        for c in input.utf8 {
            if c == UInt8(ascii: "-") || c == UInt8(ascii: " ") { continue }
            let lower = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
            guard alphabet.contains(lower), out.count < length else { return nil }
            out.append(lower)
        }
        return out.count == length ? String(decoding: out, as: UTF8.self) : nil
    }

    /// Lower-case hex of HMAC-SHA256(key, code), for storage and lookup.
    /// Keyed, so a stolen table of digests cannot be brute-forced over the
    /// 2^50 codes without the server secret too. Pass a `normalized` code.
    public static func digest(_ normalizedCode: String, key: [UInt8]) throws -> String {
        Hex.encode(try Crypto.hmac(.sha256, key: key, data: Array(normalizedCode.utf8)))
    }
}
