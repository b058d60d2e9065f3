/// A random (version 4) UUID string from OpenSSL's CSPRNG (RFC 9562 §5.4).
package enum UUID4 {
    package static func make() throws -> String {
        var b = try Crypto.randomBytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let hex = Array(Hex.encode(b).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, c) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
