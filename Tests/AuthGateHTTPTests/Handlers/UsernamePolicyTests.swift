import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// AUTHGATE_USERNAME_POLICY: `exact` (default) takes only the same bytes;
/// `caseless` also refuses a name of the same NFKC case fold.
@Suite struct UsernamePolicyTests {
    func register(_ app: TestApp, _ name: String, email: String) -> Response {
        app.send(
            "POST", "/auth/register",
            body: #"{"username": "\#(name)", "email": "\#(email)", "password": "123456"}"#)
    }

    @Test func foldMapsCaseAndWidthToOneKey() {
        let keys = ["admin", "ADMIN", "Admin", "\u{FF41}\u{FF44}\u{FF4D}\u{FF49}\u{FF4E}", "\u{FF21}DMIN"].map(
            UsernameFold.key)
        #expect(Set(keys) == ["admin"])
        #expect(UsernameFold.key("Stra\u{DF}e") == UsernameFold.key("STRASSE"))
        #expect(UsernameFold.key("e\u{301}") == UsernameFold.key("\u{C9}"))  // NFC and case together
        #expect(UsernameFold.key("admin") != UsernameFold.key("admin1"))
        #expect(UsernameFold.key("ad\u{AD}min") == "admin")  // a soft hyphen is default-ignorable
        let long = String(repeating: "\u{FB03}", count: 80)  // each ligature becomes three letters
        #expect(UsernameFold.key(long) == String(repeating: "ffi", count: 80))
    }

    @Test func caselessRefusesLookAlikesWithTheUsual409() throws {
        let app = try TestApp(environment: ["AUTHGATE_USERNAME_POLICY": "caseless"])
        #expect(register(app, "admin", email: "a@x.io").status == 201)
        for (i, name) in ["ADMIN", "\u{FF41}\u{FF44}\u{FF4D}\u{FF49}\u{FF4E}", "Admin"].enumerated() {
            let r = register(app, name, email: "b\(i)@x.io")
            #expect(r.status == 409 && r.object == ["error": .string("User already exists")], "\(name)")
        }
        #expect(register(app, "admin2", email: "c@x.io").status == 201)
        #expect(app.store.users.map(\.username) == ["admin", "admin2"])
    }

    @Test func exactIsTheDefaultAndTakesLookAlikesAsFlaskDoes() throws {
        let app = try TestApp()
        for (i, name) in ["admin", "ADMIN", "\u{FF41}\u{FF44}\u{FF4D}\u{FF49}\u{FF4E}"].enumerated() {
            #expect(register(app, name, email: "u\(i)@x.io").status == 201)
        }
    }

    @Test func aLookAlikeThatWinsTheInsertRaceIsA409NotA500() throws {
        let store = MemoryUserStore()
        let app = try TestApp(environment: ["AUTHGATE_USERNAME_POLICY": "caseless"], userStore: store)
        // Between the check and the insert, another request registers ADMIN.
        store.beforeInsert = {
            store.beforeInsert = nil
            store.users.append(UserRecord(id: "other", username: "ADMIN", email: "o@x.io", passwordHash: "h"))
        }
        let r = register(app, "admin", email: "a@x.io")
        #expect(r.status == 409 && r.object == ["error": .string("User already exists")])
    }

    @Test(arguments: [("AUTHGATE_USERNAME_POLICY", "loose"), ("AUTHGATE_LOGOUT_SCOPE", "all")])
    func anUnknownValueStopsStartUpNamingTheVariable(name: String, value: String) {
        #expect(throws: ConfigError.self) { _ = try TestApp(environment: [name: value]) }
        do { _ = try TestApp(environment: [name: value]) } catch let error as ConfigError {
            #expect(error.variable == name)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func logoutScopeFollowsRotationUnlessSet() throws {
        func scope(_ env: [String: String]) throws -> LogoutScope {
            try TestApp(environment: env).services.config.logoutScope
        }
        #expect(try scope([:]) == .token)
        #expect(try scope(["AUTHGATE_REFRESH_ROTATION": "true"]) == .session)
        #expect(try scope(["AUTHGATE_REFRESH_ROTATION": "true", "AUTHGATE_LOGOUT_SCOPE": "Token"]) == .token)
        #expect(try scope(["AUTHGATE_LOGOUT_SCOPE": " session "]) == .session)
    }
}
