import Testing
@testable import AuthGateCore

/// Which stored hashes rehash-on-login replaces: other methods, fewer
/// PBKDF2 iterations, lower scrypt cost; never a stronger one.
@Suite struct HashStrengthTests {
    func method(_ text: String) throws -> HashMethod { try #require(HashMethod(text)) }

    @Test(arguments: [
        ("pbkdf2:sha256:1000", "scrypt", true),
        ("pbkdf2:sha256:1000", "pbkdf2:sha256:600000", true),
        ("pbkdf2:sha256:600000", "pbkdf2:sha256:600000", false),
        ("pbkdf2:sha256:1000000", "pbkdf2:sha256:600000", false),  // stronger: kept
        ("pbkdf2:sha512:600000", "pbkdf2:sha256:600000", true),    // another digest
        ("scrypt:16384:8:1", "scrypt", true),
        ("scrypt:32768:4:1", "scrypt:32768:8:1", true),
        ("scrypt:32768:8:1", "scrypt", false),
        ("scrypt:65536:8:1", "scrypt", false),
        ("scrypt:32768:8:1", "scrypt:32768:8:2", true),            // less work
        ("scrypt:32768:8:1", "pbkdf2:sha256:600000", true),        // the operator's method
    ])
    func weakerThanConfigured(stored: String, configured: String, weaker: Bool) throws {
        #expect(try method(stored).isWeaker(than: method(configured)) == weaker)
    }

    @Test func theStoredMethodIsReadFromTheHash() {
        #expect(WerkzeugHash.method(of: "pbkdf2:sha256:1000$salt$abcd") == .pbkdf2(.sha256, iterations: 1000))
        #expect(WerkzeugHash.method(of: "scrypt:32768:8:1$s$d") == .scrypt(n: 32768, r: 8, p: 1))
        #expect(WerkzeugHash.method(of: "md5$x$123456") == nil)
        #expect(WerkzeugHash.method(of: "plaintext") == nil)
    }
}
