import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// POST /auth/register through `Dispatcher` on a fixed clock: the 201, each
/// field rule's 400 naming the field, and the 409s (API.md, Register).
@Suite struct RegisterHandlerTests {
    /// A register body; each argument is a raw JSON value, nil leaves the key out.
    static func body(
        username: String? = #""bob""#, email: String? = #""bob@example.com""#,
        password: String? = #""123456""#
    ) -> String {
        let members = [("username", username), ("email", email), ("password", password)]
            .compactMap { key, value in value.map { "\"\(key)\": \($0)" } }
        return "{" + members.joined(separator: ", ") + "}"
    }

    static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        JSONWriter.writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: ["/auth/register", "/api/auth/register"])
    func createsTheUser(path: String) throws {
        let app = try TestApp()
        let r = app.send("POST", path, body: Self.body(email: #""Bob@Example.COM""#))
        #expect(r.status == 201)
        #expect(r.object == strings(["message": "User created"]))
        try #require(app.store.users.count == 1)
        let row = app.store.users[0]
        #expect(row.username == "bob")
        #expect(row.email == "Bob@Example.COM")  // stored as given
        #expect(!row.passwordHash.contains("123456"))
        #expect(row.passwordHash.hasPrefix("pbkdf2:sha256:1000$"))
        #expect(WerkzeugHash.verify(password: "123456", against: row.passwordHash) == .match)
        let id = Array(row.id)
        #expect(id.count == 36 && id[14] == "4" && "89ab".contains(id[19]))
        // The fixed clock, 1_700_000_100 s, as UTC with microseconds.
        #expect(app.store.createdAt[row.id] == "2023-11-14 22:15:00.000000")
    }

    @Test func eachRegistrationGetsItsOwnID() throws {
        let app = try TestApp()
        #expect(app.send("POST", "/auth/register", body: Self.body()).status == 201)
        #expect(
            app.send(
                "POST", "/auth/register",
                body: Self.body(
                    username: #""carol""#,
                    email: #""carol@example.com""#)
            ).status == 201)
        #expect(app.store.users.count == 2 && app.store.users[0].id != app.store.users[1].id)
    }

    /// (body, the field its 400 must name)
    static let invalid: [(String, String)] = [
        ("{}", "username"),
        (body(username: nil), "username"),
        (body(username: "null"), "username"),
        (body(username: "5"), "username"),
        (body(username: "[\"bob\"]"), "username"),
        (body(username: #""\ud800""#), "username"),
        (body(username: #""""#), "username"),
        (body(username: quoted(String(repeating: "b", count: 81))), "username"),
        (body(username: #""b b""#), "username"),
        (body(username: #""b\u00a0b""#), "username"),
        (body(username: #""b\u2003b""#), "username"),
        (body(username: #""b\u0085b""#), "username"),
        (body(username: #""b\tb""#), "username"),
        (body(username: #""b\u0001b""#), "username"),
        (body(email: nil), "email"),
        (body(email: "null"), "email"),
        (body(email: "1"), "email"),
        (body(email: #""\udc00@x.io""#), "email"),
        (body(email: #""nobody""#), "email"),
        (body(email: #""a@b@c""#), "email"),
        (body(email: #""@x.io""#), "email"),
        (body(email: #""bob@""#), "email"),
        (body(email: #""bob @x.io""#), "email"),
        (body(email: #""bob\u2003@x.io""#), "email"),
        (body(email: #""bob\u0000@x.io""#), "email"),
        (body(email: quoted(String(repeating: "b", count: 250) + "@x.io")), "email"),  // 255
        (body(password: nil), "password"),
        (body(password: "null"), "password"),
        (body(password: "123456"), "password"),
        (body(password: "true"), "password"),
        (body(password: #""\ud800abcdef""#), "password"),
        (body(password: #""12345""#), "password"),
        (body(password: quoted("ééééé")), "password"),  // 10 bytes, 5 characters
        (body(password: quoted(String(repeating: "p", count: 1025))), "password"),
        (body(password: quoted(String(repeating: "é", count: 513))), "password")  // 1026 bytes
    ]

    @Test(arguments: invalid)
    func invalidFieldIs400NamingIt(body: String, field: String) throws {
        let app = try TestApp()
        let r = app.send("POST", "/auth/register", body: body)
        #expect(r.status == 400)
        let message = try #require(r.object?["error"]?.stringValue)
        #expect(message.contains(field), "\(message)")
        #expect(app.store.users.isEmpty)
    }

    /// The largest values each rule lets through.
    @Test(arguments: [
        body(username: quoted(String(repeating: "é", count: 80)), email: #""e1@x.io""#),
        body(username: #""b2""#, email: quoted(String(repeating: "b", count: 249) + "@x.io")),  // 254
        body(username: #""b3""#, email: #""e2@x.io""#, password: quoted("éééééé")),
        body(username: #""b4""#, email: #""e3@x.io""#, password: quoted(String(repeating: "é", count: 512))),
        body(username: #""Ω""#, email: #""ü@ß.example""#)
    ])
    func valuesAtTheLimitsAreAccepted(body: String) throws {
        let app = try TestApp()
        let r = app.send("POST", "/auth/register", body: body)
        #expect(r.status == 201, "\(r.text)")
        #expect(app.store.users.count == 1)
    }

    @Test(arguments: ["", "not json", "[]", #""bob""#, "null", "{\"username\": ", "\u{FEFF}{}"])
    func bodyThatIsNotAJSONObjectIs400(body: String) throws {
        let app = try TestApp()
        let r = app.send("POST", "/auth/register", body: body)
        #expect(r.status == 400)
        #expect(r.object?["error"]?.stringValue?.isEmpty == false)
        #expect(app.store.calls == 0)
    }

    @Test func bodyThatIsNotUTF8Is400() throws {
        let app = try TestApp()
        let r = app.send(
            Request(
                method: "POST", path: "/auth/register", headers: ["content-type": "application/json"],
                body: Array(#"{"username": "b"#.utf8) + [0xFF]
                    + Array(#"", "email": "b@x.io", "password": "123456"}"#.utf8)))
        #expect(r.status == 400)
        #expect(app.store.users.isEmpty)
    }

    @Test func takenUsernameIs409() throws {
        let app = try TestApp()
        try app.addUser("bob")
        let r = app.send("POST", "/auth/register", body: Self.body(email: #""other@example.com""#))
        #expect(r.status == 409)
        #expect(r.object == strings(["error": "User already exists"]))
        #expect(app.store.users.count == 1)
    }

    @Test func takenEmailIgnoringASCIICaseIs409() throws {
        let app = try TestApp()
        try app.addUser("bob")  // bob@example.com
        let r = app.send(
            "POST", "/auth/register", body: Self.body(username: #""robert""#, email: #""BOB@example.COM""#))
        #expect(r.status == 409)
        #expect(r.object == strings(["error": "Email already registered"]))
        #expect(app.store.users.count == 1)
    }

    @Test func whenBothAreTakenTheUsernameAnswerWins() throws {
        let app = try TestApp()
        try app.addUser("bob")
        let r = app.send("POST", "/auth/register", body: Self.body())
        #expect(r.status == 409 && r.object == strings(["error": "User already exists"]))
    }

    @Test func usernamesAreCaseSensitiveAndCompareAsBytes() throws {
        let app = try TestApp()
        try app.addUser("bob")
        #expect(
            app.send("POST", "/auth/register", body: Self.body(username: #""Bob""#, email: #""b1@x.io""#)).status == 201
        )
        // é precomposed, then e + U+0301: Swift's == calls them equal, the contract does not.
        #expect(
            app.send("POST", "/auth/register", body: Self.body(username: #""\u00e9""#, email: #""b2@x.io""#)).status
                == 201)
        #expect(
            app.send("POST", "/auth/register", body: Self.body(username: #""e\u0301""#, email: #""b3@x.io""#)).status
                == 201)
        #expect(app.store.users.count == 4)
    }

    /// Another registration lands between the handler's checks and its
    /// insert; the unique index refuses the row and the answer names the
    /// field that collided, the username when both did.
    @Test(arguments: [
        ("bob", "late@example.com", "User already exists"),
        ("late", "bob@example.com", "Email already registered"),
        ("bob", "bob@example.com", "User already exists")
    ])
    func aRaceLostAtTheInsertIs409(otherName: String, otherEmail: String, message: String) throws {
        let app = try TestApp()
        let store = app.store
        store.beforeInsert = {
            store.beforeInsert = nil
            store.users.append(UserRecord(id: "racer", username: otherName, email: otherEmail, passwordHash: "x"))
        }
        let r = app.send("POST", "/auth/register", body: Self.body())
        #expect(r.status == 409)
        #expect(r.object == strings(["error": message]))
        #expect(store.users.map(\.id) == ["racer"])
    }

    @Test func databaseDownIs503() throws {
        let app = try TestApp()
        app.store.down = true
        let r = app.send("POST", "/auth/register", body: Self.body())
        #expect(r.status == 503 && r.object == strings(["error": "Service unavailable"]))
    }
}
