/// A username or id as the value of an identity header (`X-Auth-User`).
/// Registration allows any non-blank, non-control character, and a table
/// adopted from Flask may hold anything, while a header value must not
/// hold CR, LF or NUL and is read as Latin-1 by many frameworks. So every
/// byte of the UTF-8 outside visible ASCII, `%` itself, the four
/// characters that list-splitting and quoted-string header parsers treat
/// as syntax (`,` `"` `;` `\`), and `+` (which form decoders read as a
/// space) are written as `%XX`: other names of
/// visible ASCII pass unchanged (`alice`), and any name comes back exactly
/// with one percent-decoding (Python's `urllib.parse.unquote`,
/// JavaScript's `decodeURIComponent`).
enum IdentityHeaderValue {
    static func encode(_ text: String) -> String {
        if text.utf8.allSatisfy(isPlain) { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for b in text.utf8 {
            if isPlain(b) {
                out.append(b)
            } else {
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isPlain(_ b: UInt8) -> Bool {
        guard b >= 0x21 && b <= 0x7E else { return false }
        switch b {
        case UInt8(ascii: "%"), UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "\\"),
            UInt8(ascii: "+"):
            return false
        default:
            return true
        }
    }
}
