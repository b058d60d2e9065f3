/// Time-based one-time passwords (RFC 6238) with the parameters every
/// authenticator app assumes when an `otpauth://` URI names none: HMAC-SHA1,
/// 6 digits, a 30-second period from the Unix epoch.
public struct TOTP: Sendable {
    public static let period: Int64 = 30
    public static let digits = 6
    /// 10^digits: the dynamically truncated value is reduced modulo this.
    static let modulus: UInt32 = 1_000_000

    /// The time step holding `unixSeconds`: floor(t / 30), so a fraction of a
    /// second never rounds into the next step. Values outside Int64's range
    /// (and NaN) clamp instead of trapping; `matchingStep` refuses them first.
    public static func step(at unixSeconds: Double) -> Int64 {
        let step = (unixSeconds / Double(period)).rounded(.down)
        if step.isNaN { return 0 }
        // 2^63 is exactly representable; any Double below it converts safely.
        if step >= 9_223_372_036_854_775_808.0 { return .max }
        if step < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(step)
    }

    /// The code for `step` (RFC 4226 §5.3): HMAC-SHA1 over the big-endian
    /// 8-byte counter, dynamic truncation to 31 bits, the last 6 decimal
    /// digits with leading zeros kept.
    public static func code(secret: [UInt8], step: Int64) throws -> String {
        let counter = UInt64(bitPattern: step)
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * $0)) }
        let mac = try Crypto.hmac(.sha1, key: secret, data: message)
        guard mac.count == 20 else { throw Crypto.fail("HMAC") }
        let offset = Int(mac[19] & 0x0F)  // at most 15, so offset + 3 stays inside the 20 bytes
        let truncated =
            UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8
            | UInt32(mac[offset + 3])
        var value = truncated % modulus
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: digits)
        for i in stride(from: digits - 1, through: 0, by: -1) {
            out[i] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The step in `step(at: now) - skew ... + skew` whose code is `code`, or
    /// nil. Skew absorbs clock drift and the seconds a user takes to type.
    /// Every candidate is computed and compared in constant time, with no
    /// early return, so timing does not reveal which window matched. If two
    /// steps share the code, the newest is returned: a caller that stores it
    /// to refuse replays then refuses the older one too. A code that is not
    /// exactly 6 ASCII digits, a non-finite `now` or a negative `skew` is
    /// refused before any HMAC is computed.
    public static func matchingStep(_ code: String, secret: [UInt8], now: Double, skew: Int64 = 1) throws -> Int64? {
        let given = Array(code.utf8)
        guard given.count == digits, given.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            now.isFinite, skew >= 0
        else { return nil }
        let center = step(at: now)
        let (low, lowOverflow) = center.subtractingReportingOverflow(skew)
        let (high, highOverflow) = center.addingReportingOverflow(skew)
        var match: Int64? = nil
        for candidate in (lowOverflow ? .min : low)...(highOverflow ? .max : high) {
            let expected = Array(try self.code(secret: secret, step: candidate).utf8)
            if Crypto.constantTimeEqual(expected, given) { match = candidate }
        }
        return match
    }
}
