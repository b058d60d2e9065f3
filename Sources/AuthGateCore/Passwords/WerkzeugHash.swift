/// Password hashes in Werkzeug's `generate_password_hash` format:
/// `METHOD$SALT$HEXDIGEST`, salt of 16 characters from `[A-Za-z0-9]`.
public enum WerkzeugHash {
    static let saltAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    static let saltLength = 16

    /// A new hash string for `password` with a fresh salt.
    public static func make(
        password: String, method: HashMethod, using deriver: any KeyDeriver = InThreadDeriver()
    ) throws -> String {
        let salt = try randomSalt()
        let digest = try deriver.derive(method, password: Array(password.utf8), salt: Array(salt.utf8))
        return "\(method)$\(salt)$\(Hex.encode(digest))"
    }

    /// Checks `password` against a stored hash in constant time. A hash in
    /// a format AuthGate cannot read is `.unreadable`, never a match.
    public static func verify(
        password: String, against stored: String, using deriver: any KeyDeriver = InThreadDeriver()
    ) -> Verification {
        let parts = stored.split(separator: "$", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let method = HashMethod(String(parts[0])) else { return .unreadable }
        let expected = Array(parts[2].utf8)
        guard let digest = try? deriver.derive(method, password: Array(password.utf8), salt: Array(parts[1].utf8))
        else {
            return .unreadable
        }
        return Crypto.constantTimeEqual(Array(Hex.encode(digest).utf8), expected) ? .match : .mismatch
    }

    public enum Verification: Equatable { case match, mismatch, unreadable }

    /// Salt characters chosen without modulo bias (rejection sampling).
    static func randomSalt() throws -> String {
        var chars: [UInt8] = []
        chars.reserveCapacity(saltLength)
        let limit = UInt8(256 - 256 % saltAlphabet.count)
        while chars.count < saltLength {
            for b in try Crypto.randomBytes(32) where b < limit && chars.count < saltLength {
                chars.append(saltAlphabet[Int(b) % saltAlphabet.count])
            }
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
