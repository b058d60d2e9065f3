import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Which stored hashes rehash-on-login replaces: only those the configured
/// method beats in every respect; never a stronger, equal or mixed one,
/// and never scrypt with PBKDF2.
@Suite struct HashStrengthTests {
    func method(_ text: String) throws -> HashMethod { try #require(HashMethod(text)) }

    @Test(arguments: [
        ("pbkdf2:sha256:1000", "scrypt", true),
        ("pbkdf2:sha512:10000000", "scrypt:16384:8:1", true),  // memory-hard replaces PBKDF2
        ("pbkdf2:sha256:1000", "pbkdf2:sha256:600000", true),
        ("pbkdf2:sha256:600000", "pbkdf2:sha256:600000", false),
        ("pbkdf2:sha256:1000000", "pbkdf2:sha256:600000", false),  // stronger: kept
        ("pbkdf2:sha512:600000", "pbkdf2:sha256:600000", false),  // SHA-512 costs more per iteration: kept
        ("pbkdf2:sha512:210000", "pbkdf2:sha256:600000", false),  // equal by OWASP's counts
        ("pbkdf2:sha512:200000", "pbkdf2:sha256:600000", true),
        ("pbkdf2:sha256:600000", "pbkdf2:sha512:210000", false),
        ("pbkdf2:sha256:600000", "pbkdf2:sha512:600000", true),
        ("scrypt:16384:8:1", "scrypt", true),
        ("scrypt:32768:4:1", "scrypt:32768:8:1", true),
        ("scrypt:32768:8:1", "scrypt", false),
        ("scrypt:65536:8:1", "scrypt", false),
        ("scrypt:32768:8:1", "scrypt:32768:8:2", true),  // less work, same memory
        ("scrypt:65536:8:1", "scrypt:32768:8:4", false),  // more memory, less work: kept
        ("scrypt:16384:8:4", "scrypt:32768:8:1", false),  // less memory, more work: kept
        ("scrypt:32768:8:1", "pbkdf2:sha256:600000", false),  // never scrypt -> PBKDF2
        ("scrypt:16384:8:1", "pbkdf2:sha512:10000000", false)
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
