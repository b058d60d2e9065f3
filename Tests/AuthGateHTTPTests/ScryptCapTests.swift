import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Stored scrypt parameters are readable exactly when Werkzeug can check
/// them: `hashlib.scrypt(..., maxmem=132*n*r*p)` under Python 3.11 and
/// OpenSSL 3.0. Each verdict below is what that call answered (ValueError
/// or a digest); beyond it a hash is unreadable, never run.
@Suite struct ScryptCapTests {
    @Test(
        arguments: [
            // (n, r, p, Werkzeug accepts)
            (2, 1, 1, false), (64, 1, 1, false),  // buffers 128·r·(N+2+p) exceed 132·N·r·p
            (128, 1, 1, true), (2, 1, 64, true), (16, 1, 2, true),
            (32768, 1, 1, true), (65536, 1, 1, false),  // r=1 needs N < 2^16
            (65536, 2, 1, true), (131072, 2, 1, true),
            (32768, 8, 1, true),  // Werkzeug's default
            (16384, 8, 124, true), (16384, 8, 125, false),  // 132·N·r·p crosses INT_MAX
            (2, 1, 8_134_407, true), (2, 1, 8_134_408, false),
            (1 << 24, 1, 1, false), (1 << 20, 8, 1, true), (1 << 21, 8, 1, false),  // 1 GiB passes, 2 GiB not
            (1 << 20, 64, 16, false),  // about 8 GiB: accepted before this cap
            (0, 8, 1, false), (3, 8, 1, false), (32768, 0, 1, false), (32768, 8, 0, false)
        ] as [(UInt64, UInt64, UInt64, Bool)])
    func capMatchesWerkzeug(n: UInt64, r: UInt64, p: UInt64, accepted: Bool) {
        #expect((HashMethod("scrypt:\(n):\(r):\(p)") != nil) == accepted)
        #expect((HashMethod.scryptMaxmem(n: n, r: r, p: p) == 132 * n * r * p) == accepted)
    }

    @Test func parametersThatOverflowSixtyFourBitsAreRefusedWithoutTrapping() {
        #expect(HashMethod.scryptMaxmem(n: 1 << 63, r: 1 << 62, p: 3) == nil)
        #expect(HashMethod.scryptMaxmem(n: 1 << 32, r: 1 << 32, p: 1) == nil)
        #expect(HashMethod("scrypt:9223372036854775808:18446744073709551615:18446744073709551615") == nil)
        #expect(HashMethod("scrypt:36893488147419103232:8:1") == nil)  // 2^65: not even a UInt64
    }

    /// Hashes made by the real Werkzeug 3.1 (`_hash_internal`) at the edges
    /// of the cap: the explicit maxmem lets OpenSSL run every one of them.
    @Test(arguments: [
        "scrypt:128:1:1$abcdefghijklmnop$c179d9645b9ffccc96dc283c900a44f014706c0b9d2ee4a8c4ec2f55ae0bc093806711349650f7ef44db6a7278752502df0627e155f8f525e0f62c75a7658fa2",
        "scrypt:2:1:64$abcdefghijklmnop$1c0294aa37a6e4b37b9914bef9350d8169f0b72c2a4f746ca870d3c5221c7f6b9fb02c7be5725148429f942bd4b5f9e28917e8491855fd4637abdf503ddf61ef",
        "scrypt:65536:2:1$abcdefghijklmnop$01c5c1d0a3ceefa2f698fc2ad1082bd58b69ef3615c1e8d355212931a7ce83cd84b6e4372ff08d0f268481281d17af24651c84a7c1dc84be2bb1b9d07b01bc7d"
    ])
    func werkzeugHashesAtTheEdgesVerify(hash: String) {
        #expect(WerkzeugHash.verify(password: "123456", against: hash) == .match)
    }

    @Test func hostileStoredHashIsUnreadableAndNeverRun() {
        // 8 GiB and minutes per login if it ran; the check refuses it at parse time.
        let hostile = "scrypt:1048576:64:16$abcdefghijklmnop$" + String(repeating: "0", count: 128)
        #expect(WerkzeugHash.verify(password: "123456", against: hostile) == .unreadable)
    }

    @Test func hostileStoredHashFailsLoginLikeAWrongPassword() throws {
        let app = try TestApp()
        app.store.users.append(
            UserRecord(
                id: "id-h", username: "hostile", email: "h@example.com",
                passwordHash: "scrypt:16384:8:125$abcdefghijklmnop$" + String(repeating: "0", count: 128)))
        try app.addUser("plain")
        let hostile = app.send("POST", "/auth/login", body: #"{"username": "hostile", "password": "123456"}"#)
        let wrong = app.send("POST", "/auth/login", body: #"{"username": "plain", "password": "654321"}"#)
        #expect(hostile.status == 400)
        #expect(hostile.body == wrong.body)
        #expect(String(decoding: hostile.body, as: UTF8.self) == #"{"error":"Invalid username or password"}"#)
    }

    @Test func configuredMethodObeysTheSameCap() {
        let env = ["FLASK_SECRET_KEY": "k", "FLASK_PASSWORD_HASH_METHOD": "scrypt:1048576:64:16"]
        #expect(throws: ConfigError.self) { try Config.load(environment: env, dotEnv: [:], workingDirectory: "/") }
    }
}
