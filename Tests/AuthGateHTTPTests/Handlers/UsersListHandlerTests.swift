import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET /api/users/all (API.md, Users list): defaults, the per_page cap,
/// pages past the end, and 400s naming the parameter.
@Suite struct UsersListHandlerTests {
    static let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]

    func app() throws -> (TestApp, String) {
        let app = try TestApp()
        for name in Self.names { try app.addUser(name) }
        return (app, try app.token())
    }

    func user(_ name: String) -> JSONValue {
        .object(strings(["id": "id-\(name)", "username": name, "email": "\(name)@example.com"]))
    }

    func page(_ users: [String], page: Int, perPage: Int, total: Int, pages: Int) -> [String: JSONValue] {
        [
            "users": .array(users.map(user)), "page": .number(Double(page)), "per_page": .number(Double(perPage)),
            "total": .number(Double(total)), "pages": .number(Double(pages))
        ]
    }

    @Test func defaultsArePageOneOfThree() throws {
        let (app, token) = try app()
        let r = app.send("GET", "/api/users/all", token: token)
        #expect(r.status == 200)
        #expect(r.object == page(["alice", "bob", "carol"], page: 1, perPage: 3, total: 7, pages: 3))
        #expect(!r.text.contains("password") && !r.text.contains("pbkdf2"))
    }

    @Test(
        arguments: [
            ("page=2", ["dave", "erin", "frank"], 2, 3),
            ("page=3", ["grace"], 3, 3),
            ("page=4", [], 4, 3),
            ("page=2&per_page=2", ["carol", "dave"], 2, 2),
            ("per_page=7", names, 1, 7),
            ("per_page=100", names, 1, 100),
            ("per_page=101", names, 1, 100),
            ("per_page=5&page=2&page=1", ["frank", "grace"], 2, 5),  // the first of a repeated key
            ("page=%32", ["dave", "erin", "frank"], 2, 3)
        ] as [(String, [String], Int, Int)])
    func pagesInRegistrationOrder(query: String, users: [String], page p: Int, perPage: Int) throws {
        let (app, token) = try app()
        let r = app.send("GET", "/api/users/all", query: query, token: token)
        #expect(r.status == 200, "\(query)")
        let pages = (7 + perPage - 1) / perPage
        #expect(r.object == page(users, page: p, perPage: perPage, total: 7, pages: pages), "\(query)")
    }

    @Test(arguments: [
        ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=", "page"),
        ("page=1.5", "page"), ("page=+1", "page"), ("page=%2B1", "page"), ("page=%201", "page"), ("page=1e2", "page"),
        ("per_page=0", "per_page"), ("per_page=", "per_page"), ("per_page=x", "per_page"),
        ("per_page=-3", "per_page"), ("per_page=%2B5", "per_page"), ("per_page=3.0", "per_page")
    ])
    func badParameterIs400NamingIt(query: String, name: String) throws {
        let (app, token) = try app()
        let r = app.send("GET", "/api/users/all", query: query, token: token)
        #expect(r.status == 400, "\(query)")
        let message = try #require(r.object?["error"]?.stringValue)
        #expect(message.contains(name), "\(query): \(message)")
        if name == "page" { #expect(!message.contains("per_page"), "\(query): \(message)") }
    }

    @Test func theTokenIsCheckedBeforeTheQuery() throws {
        let (app, _) = try app()
        #expect(app.send("GET", "/api/users/all", query: "page=abc").object == TokenBodies.missing)
    }

    @Test func databaseDownIs503() throws {
        let (app, token) = try app()
        app.store.down = true
        let r = app.send("GET", "/api/users/all", token: token)
        #expect(r.status == 503 && r.object == strings(["error": "Service unavailable"]))
    }
}
