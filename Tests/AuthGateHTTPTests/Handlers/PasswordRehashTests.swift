import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Rehash on login: opt-in; a weaker stored hash is replaced after a
/// matching password, in Werkzeug's format; nothing else is touched.
@Suite struct PasswordRehashTests {
    static let good = #"{"username": "alice", "password": "123456"}"#

    func appWithLegacyRow(_ env: [String: String], storedMethod: String = "pbkdf2:sha256:1000") throws
        -> (TestApp, String)
    {
        let app = try TestApp(environment: env)
        let hash = try WerkzeugHash.make(password: "123456", method: try #require(HashMethod(storedMethod)))
        app.store.users.append(UserRecord(id: "id-alice", username: "alice", email: "a@x.io", passwordHash: hash))
        return (app, hash)
    }

    @Test func offByDefaultTheRowStaysByteIdentical() throws {
        let (app, hash) = try appWithLegacyRow(["FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:2000"])
        #expect(app.send("POST", "/auth/login", body: Self.good).status == 200)
        #expect(app.store.users[0].passwordHash == hash)
    }

    @Test func aWeakerHashIsUpgradedToTheConfiguredMethod() throws {
        let (app, hash) = try appWithLegacyRow([
            "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:2000",
            "AUTHGATE_REHASH_ON_LOGIN": "true"
        ])
        #expect(app.send("POST", "/auth/login", body: Self.good).status == 200)
        let upgraded = app.store.users[0].passwordHash
        #expect(upgraded != hash && upgraded.hasPrefix("pbkdf2:sha256:2000$"))
        #expect(WerkzeugHash.verify(password: "123456", against: upgraded) == .match)
        // The next login finds nothing to upgrade.
        #expect(app.send("POST", "/auth/login", body: Self.good).status == 200)
        #expect(app.store.users[0].passwordHash == upgraded)
    }

    @Test func aStrongerHashIsKept() throws {
        let (app, hash) = try appWithLegacyRow(
            [
                "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "AUTHGATE_REHASH_ON_LOGIN": "true"
            ],
            storedMethod: "pbkdf2:sha256:3000")
        #expect(app.send("POST", "/auth/login", body: Self.good).status == 200)
        #expect(app.store.users[0].passwordHash == hash)
    }

    @Test func aWrongPasswordNeverRehashes() throws {
        let (app, hash) = try appWithLegacyRow([
            "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:2000",
            "AUTHGATE_REHASH_ON_LOGIN": "true"
        ])
        #expect(app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "nope!!"}"#).status == 400)
        #expect(app.store.users[0].passwordHash == hash)
    }

    @Test func aFailedUpdateStillLogsInAndKeepsTheOldHash() throws {
        let (app, hash) = try appWithLegacyRow([
            "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:2000",
            "AUTHGATE_REHASH_ON_LOGIN": "true"
        ])
        app.store.failHashReplacement = true
        #expect(app.send("POST", "/auth/login", body: Self.good).status == 200)
        #expect(app.store.users[0].passwordHash == hash)
    }
}
