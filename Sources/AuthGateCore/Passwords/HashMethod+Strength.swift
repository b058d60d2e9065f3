/// Whether a stored hash should be replaced by one with the configured
/// method (`AUTHGATE_REHASH_ON_LOGIN`): only by a stronger one.
extension HashMethod {
    /// True when a hash made with `self` should be replaced by one made
    /// with `configured` because the configured one is stronger, never
    /// weaker, in every respect:
    /// - PBKDF2 stored, scrypt configured: scrypt is memory-hard, PBKDF2 is not;
    /// - scrypt stored, PBKDF2 configured: never (that gives memory-hardness up);
    /// - PBKDF2 both: a lower cost, with a SHA-512 iteration worth 20/7
    ///   SHA-256 ones (OWASP's equal-strength counts, 210,000 against 600,000);
    /// - scrypt both: no more memory (N·r) and no more work (N·r·p) than
    ///   configured, and less of one. Mixed cases (more memory, less work)
    ///   are kept.
    /// So lowering the configured cost, or choosing PBKDF2 over scrypt,
    /// never downgrades a row.
    public func isWeaker(than configured: HashMethod) -> Bool {
        switch (self, configured) {
        case let (.pbkdf2(digest, iterations), .pbkdf2(wanted, wantedIterations)):
            return Self.pbkdf2Cost(digest, iterations) < Self.pbkdf2Cost(wanted, wantedIterations)
        case let (.scrypt(n, r, p), .scrypt(wantedN, wantedR, wantedP)):
            // Both parsed within Werkzeug's limits (N·r·p·132 ≤ 2^31): no overflow.
            let (memory, wantedMemory) = (n * r, wantedN * wantedR)
            let (work, wantedWork) = (memory * p, wantedMemory * wantedP)
            return memory <= wantedMemory && work <= wantedWork && (memory < wantedMemory || work < wantedWork)
        case (.pbkdf2, .scrypt):
            return true
        case (.scrypt, .pbkdf2):
            return false
        }
    }

    /// PBKDF2's cost in SHA-256-iteration sevenths (iterations ≤ 10^7: no overflow).
    static func pbkdf2Cost(_ digest: PBKDF2Digest, _ iterations: Int) -> Int {
        switch digest {
        case .sha256: return iterations * 7
        case .sha512: return iterations * 20
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
