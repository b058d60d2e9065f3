/// A Werkzeug password-hash method string (`scrypt:32768:8:1`,
/// `pbkdf2:sha256:600000`), parsed as `werkzeug.security._hash_internal`.
public enum HashMethod: Sendable, Equatable, CustomStringConvertible {
    case scrypt(n: UInt64, r: UInt64, p: UInt64)
    case pbkdf2(PBKDF2Digest, iterations: Int)

    public enum PBKDF2Digest: String, Sendable { case sha256, sha512 }

    /// Werkzeug 3.1's default PBKDF2 iteration count.
    public static let defaultPBKDF2Iterations = 1_000_000
    public static let `default` = HashMethod.scrypt(n: 32768, r: 8, p: 1)

    /// Parses a method string; nil for anything Werkzeug would not hash
    /// with, or parameters too large to run on a server.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "scrypt":
            if parts.count == 1 { self = .default; return }
            guard parts.count == 4,
                  let n = UInt64(parts[1]), let r = UInt64(parts[2]), let p = UInt64(parts[3]),
                  n > 1, n & (n - 1) == 0, n <= 1 << 20, (1...64).contains(r), (1...16).contains(p) else { return nil }
            self = .scrypt(n: n, r: r, p: p)
        case "pbkdf2":
            let digestName = parts.count > 1 ? parts[1] : "sha256"
            guard let digest = PBKDF2Digest(rawValue: digestName), parts.count <= 3 else { return nil }
            var iterations = HashMethod.defaultPBKDF2Iterations
            if parts.count == 3 {
                guard let i = Int(parts[2]), (1...10_000_000).contains(i) else { return nil }
                iterations = i
            }
            self = .pbkdf2(digest, iterations: iterations)
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .scrypt(let n, let r, let p): return "scrypt:\(n):\(r):\(p)"
        case .pbkdf2(let d, let i): return "pbkdf2:\(d.rawValue):\(i)"
        }
    }

    /// The derived key for `password` and `salt` (both as UTF-8 bytes), as
    /// Werkzeug hex-encodes it: scrypt 64 bytes, PBKDF2 the digest's size.
    func derive(password: [UInt8], salt: [UInt8]) throws -> [UInt8] {
        switch self {
        case .scrypt(let n, let r, let p):
            return try Crypto.scrypt(password: password, salt: salt, n: n, r: r, p: p, length: 64)
        case .pbkdf2(.sha256, let iterations):
            return try Crypto.pbkdf2(.sha256, password: password, salt: salt, iterations: iterations, length: 32)
        case .pbkdf2(.sha512, let iterations):
            return try Crypto.pbkdf2(.sha512, password: password, salt: salt, iterations: iterations, length: 64)
        }
    }
}
