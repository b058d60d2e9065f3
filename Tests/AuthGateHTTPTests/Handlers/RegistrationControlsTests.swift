import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// AUTHGATE_REGISTRATION and AUTHGATE_REGISTRATION_EMAIL_DOMAINS through
/// `Dispatcher`: after body validation, before any lookup or hashing.
@Suite struct RegistrationControlsTests {
    static func body(_ username: String, _ email: String, password: String = "123456") -> String {
        #"{"username": "\#(username)", "email": "\#(email)", "password": "\#(password)"}"#
    }

    @Test func closedIs403AndTouchesNothing() throws {
        let app = try TestApp(environment: ["AUTHGATE_REGISTRATION": "closed"])
        try app.addUser("bob")  // taken: still 403, not 409 (nothing to learn about names)
        let callsBefore = app.store.calls
        let r = app.send("POST", "/auth/register", body: Self.body("bob", "bob@example.com"))
        #expect(r.status == 403 && r.object == strings(["error": "Registration is closed"]))
        #expect(app.store.calls == callsBefore && app.store.users.count == 1)
    }

    @Test func bodyValidationComesFirst() throws {
        let app = try TestApp(environment: ["AUTHGATE_REGISTRATION": "closed"])
        let r = app.send("POST", "/auth/register", body: Self.body("bob", "bob@example.com", password: "123"))
        #expect(r.status == 400)
        #expect(app.send("POST", "/auth/register", body: "{}").status == 400)
    }

    @Test func onlyListedDomainsMayRegister() throws {
        let app = try TestApp(environment: ["AUTHGATE_REGISTRATION_EMAIL_DOMAINS": "example.com,example.org"])
        #expect(app.send("POST", "/auth/register", body: Self.body("a1", "a1@Example.COM")).status == 201)
        #expect(app.send("POST", "/api/auth/register", body: Self.body("a2", "a2@example.org")).status == 201)
        let callsBefore = app.store.calls
        for email in ["a3@sub.example.com", "a3@example.net", "example.com@evil.test"] {
            let r = app.send("POST", "/auth/register", body: Self.body("a3", email))
            #expect(r.status == 403)
            #expect(r.object == strings(["error": "Registration is not open to this email domain"]))
        }
        #expect(app.store.calls == callsBefore)
        #expect(app.store.users.map(\.username) == ["a1", "a2"])
    }

    @Test func openByDefault() throws {
        let app = try TestApp()
        #expect(app.send("POST", "/auth/register", body: Self.body("z", "z@anywhere.test")).status == 201)
    }
}
