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
                HashMethod.scryptMaxmem(n: n, r: r, p: p) != nil
            else { return nil }
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

    /// The `maxmem` Werkzeug passes to `hashlib.scrypt` (132·N·r·p), if
    /// Werkzeug can check a hash with these parameters at all; nil where it
    /// raises instead. That is the cap on a stored hash's cost: Python
    /// refuses a `maxmem` above INT_MAX (so at most 2 GiB, and N·r·p at
    /// most 62 times the default's), and OpenSSL refuses parameters whose
    /// buffers, 128·r·(N + 2 + p) bytes, exceed `maxmem`, or N ≥ 2^(16·r).
    package static func scryptMaxmem(n: UInt64, r: UInt64, p: UInt64) -> UInt64? {
        guard n > 1, n & (n - 1) == 0, r >= 1, p >= 1 else { return nil }
        let (nr, o1) = n.multipliedReportingOverflow(by: r)
        let (nrp, o2) = nr.multipliedReportingOverflow(by: p)
        let (maxmem, o3) = nrp.multipliedReportingOverflow(by: 132)
        guard !o1, !o2, !o3, maxmem <= UInt64(Int32.max) else { return nil }
        // Every factor is now small: nothing below can overflow.
        if r < 4, n >= 1 << (16 * r) { return nil }
        guard 128 * r * (n + 2 + p) <= maxmem else { return nil }
        return maxmem
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
            // Werkzeug's own maxmem, explicit: OpenSSL's 32 MiB default refuses
            // the default method, and with this one OpenSSL refuses what Python does.
            guard let maxmem = HashMethod.scryptMaxmem(n: n, r: r, p: p) else {
                throw OpenSSLError.call("EVP_PBE_scrypt (parameters beyond Werkzeug's limits)", 0)
            }
            return try Crypto.scrypt(password: password, salt: salt, n: n, r: r, p: p, maxmem: maxmem, length: 64)
        case .pbkdf2(.sha256, let iterations):
            return try Crypto.pbkdf2(.sha256, password: password, salt: salt, iterations: iterations, length: 32)
        case .pbkdf2(.sha512, let iterations):
            return try Crypto.pbkdf2(.sha512, password: password, salt: salt, iterations: iterations, length: 64)
        }
    }
}
