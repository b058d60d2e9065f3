import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Vectors produced by the real Werkzeug 3.1 (`_hash_internal`,
/// `generate_password_hash`), so AuthGate derives byte-identical hashes.
@Suite struct WerkzeugHashTests {
    @Test(arguments: [
        (
            "scrypt:32768:8:1$abcdefghijklmnop$50802ef5243127bc603fada54c493bc1a70eedc05439c1afd74f64708e25b4cf6c6c0059d6c82eb28de776e0070800684d3171852047ad015791721043e05343",
            "123456"
        ),
        (
            "scrypt:16384:8:1$abcdefghijklmnop$d7aec1e3661b60e668612959419c7ef09b5cc944a8e255186fc0f1e20f76fe8c193a53e0b6e6d0dad91aea708c5ce1faba6ee7cb1472abf3a5b2da26a31e44ca",
            "123456"
        ),
        (
            "pbkdf2:sha256:1000$abcdefghijklmnop$41a8b2113c0ad72acb9d9dc01a443bdfb839da768ea279055d10ef6bd93eb6e6",
            "123456"
        ),
        (
            "pbkdf2:sha512:1000$abcdefghijklmnop$d3af5a1da474c608a7923101b159851ec7f08a785f295fb17b7c2901a7d253ffc99e500d4098101887e09e3eb3998de7f4a7c67fecd599223c7af5ee6b7bb8d3",
            "123456"
        ),
        (
            "pbkdf2:sha256:1000$saltsaltsaltsalt$df496368c196a941bd578d97107de63941ac8042fab4374caa7e49d7e4469b8c",
            "pässwörd😀"
        ),
        (
            "scrypt:32768:8:1$RBfxMGLcmVmTmXG6$cb56c3b43e83ad3af6496338d94703a83ea8af682c96873160f48832a1f97f7b40bab9e786df1876075570f0b7216d44b89a003a1702c213243756be525dc187",
            "123456"
        )
    ])
    func werkzeugHashesVerify(hash: String, password: String) {
        #expect(WerkzeugHash.verify(password: password, against: hash) == .match)
        #expect(WerkzeugHash.verify(password: password + "x", against: hash) == .mismatch)
    }

    @Test func unreadableFormatsNeverMatch() {
        for stored in ["", "plaintext", "md5$a$b", "scrypt:3:8:1$s$00", "bcrypt$2b$12$abc", "pbkdf2:sha256:0$s$00"] {
            #expect(WerkzeugHash.verify(password: "123456", against: stored) == .unreadable)
        }
    }

    @Test func newHashesHaveWerkzeugsShape() throws {
        let hash = try WerkzeugHash.make(password: "123456", method: .pbkdf2(.sha256, iterations: 1000))
        let parts = hash.split(separator: "$")
        #expect(parts.count == 3)
        #expect(parts[0] == "pbkdf2:sha256:1000")
        #expect(parts[1].count == 16 && parts[1].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(parts[2].count == 64)
        #expect(WerkzeugHash.verify(password: "123456", against: hash) == .match)
    }

    @Test func saltsDiffer() throws {
        #expect(try WerkzeugHash.randomSalt() != WerkzeugHash.randomSalt())
    }
}
