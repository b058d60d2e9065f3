/// Whether a stored hash should be replaced by one with the configured
/// method (`AUTHGATE_REHASH_ON_LOGIN`).
extension HashMethod {
    /// True when a hash made with `self` is weaker than one made with
    /// `configured`: another method (scrypt against PBKDF2, or another
    /// PBKDF2 digest), fewer PBKDF2 iterations, or a lower scrypt cost —
    /// less memory (N·r) or less work (N·r·p). A stronger or equal stored
    /// hash is kept: lowering the configured cost never downgrades a row.
    public func isWeaker(than configured: HashMethod) -> Bool {
        switch (self, configured) {
        case let (.pbkdf2(digest, iterations), .pbkdf2(wanted, wantedIterations)):
            return digest != wanted || iterations < wantedIterations
        case let (.scrypt(n, r, p), .scrypt(wantedN, wantedR, wantedP)):
            // Both parsed within Werkzeug's limits (N·r·p·132 ≤ 2^31): no overflow.
            return n * r < wantedN * wantedR || n * r * p < wantedN * wantedR * wantedP
        default:
            return true
        }
    }
}

extension WerkzeugHash {
    /// The method a stored hash was made with, or nil when AuthGate cannot read it.
    public static func method(of stored: String) -> HashMethod? {
        let parts = stored.split(separator: "$", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return HashMethod(String(parts[0]))
    }
}
