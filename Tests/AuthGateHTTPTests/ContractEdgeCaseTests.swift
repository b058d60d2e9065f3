import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Contract v1.1 through `Dispatcher`, in process with a fixed clock and an
/// in-memory store: /livez, HEAD, OPTIONS, token-response headers,
/// per_page beyond 64 bits, and the jti limit on every route.
@Suite struct ContractEdgeCaseTests {
    func text(_ r: Response) -> String { String(decoding: r.body, as: UTF8.self) }

    @Test func livezAnswersWithoutTheDatabase() throws {
        let app = try TestApp()
        app.store.down = true
        #expect(app.send("GET", "/healthz").status == 503)  // the outage is real
        let calls = app.store.calls
        let r = app.send("GET", "/livez")
        #expect(r.status == 200)
        #expect(text(r) == #"{"status":"ok"}"#)
        #expect(app.store.calls == calls)
    }

    @Test func headAnswersLikeGetWithoutBody() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try app.token()
        for (path, auth) in [
            ("/auth/whoami", token), ("/auth/whoami", nil), ("/api/users/all", token),
            ("/livez", nil), ("/healthz", nil)
        ] as [(String, String?)] {
            let get = app.send("GET", path, token: auth)
            let head = app.send("HEAD", path, token: auth)
            #expect(head.status == get.status, "\(path)")
            #expect(head.wire.head == get.wire.head, "\(path)")
            #expect(!get.wire.body.isEmpty && head.wire.body.isEmpty, "\(path)")
        }
        #expect(app.send("HEAD", "/auth/whoami").status == 401)
    }

    @Test func headOnAPostOnlyRouteIs405AndUnknownPath404() throws {
        let app = try TestApp()
        let r = app.send("HEAD", "/auth/login")
        #expect(r.status == 405 && r.header("Allow") == "POST, OPTIONS")
        #expect(r.wire.body.isEmpty)
        #expect(app.send("HEAD", "/nope").status == 404)
        #expect(app.send("OPTIONS", "/nope").status == 404)
    }

    @Test func optionsAnswers200WithAllowAndNoBodyWithoutAToken() throws {
        let app = try TestApp()
        for (path, allow) in [
            ("/auth/refresh", "GET, HEAD, POST, OPTIONS"), ("/api/auth/login", "POST, OPTIONS"),
            ("/api/users/all", "GET, HEAD, OPTIONS"), ("/livez", "GET, HEAD, OPTIONS")
        ] {
            let r = app.send("OPTIONS", path)
            #expect(r.status == 200, "\(path)")
            #expect(r.header("Allow") == allow, "\(path)")
            #expect(r.body.isEmpty && r.wire.head.contains("Content-Length: 0\r\n"), "\(path)")
        }
        #expect(app.store.calls == 0)
    }

    @Test func tokenResponsesAreNoStore() throws {
        let app = try TestApp()
        try app.addUser()
        let login = app.send("POST", "/auth/login", body: #"{"username": "alice", "password": "123456"}"#)
        #expect(login.status == 200 && login.header("Cache-Control") == "no-store")
        for method in ["GET", "POST"] {
            let refresh = app.send(method, "/auth/refresh", token: try app.token(kind: .refresh))
            #expect(refresh.status == 200 && refresh.header("Cache-Control") == "no-store")
        }
    }

    @Test func perPageBeyondSixtyFourBitsIsServedAs100() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try app.token()
        for query in [
            "per_page=99999999999999999999", "per_page=18446744073709551616",
            "per_page=" + String(repeating: "9", count: 400), "page=1&per_page=9223372036854775808"
        ] {
            let r = app.send("GET", "/api/users/all", query: query, token: token)
            #expect(r.status == 200, "\(query)")
            #expect(text(r).contains(#""per_page":100,"#), "\(query)")
        }
        let padded = app.send(
            "GET", "/api/users/all", query: "per_page=" + String(repeating: "0", count: 40) + "5",
            token: token)
        #expect(text(padded).contains(#""per_page":5,"#))
        for (query, name) in [
            ("per_page=0", "per_page"), ("per_page=" + String(repeating: "0", count: 30), "per_page"),
            ("per_page=-99999999999999999999", "per_page"), ("per_page=１０", "per_page"),
            ("page=99999999999999999999", "page")
        ] {
            let r = app.send("GET", "/api/users/all", query: query, token: token)
            #expect(r.status == 400 && text(r).contains(name), "\(query)")
        }
    }

    @Test func longJTIIsInvalidOnEveryRouteAndNeverStored() throws {
        let app = try TestApp()
        try app.addUser()
        let long = String(repeating: "j", count: 3000)
        for (method, path, kind) in [
            ("GET", "/auth/whoami", Claims.Kind.access), ("POST", "/auth/logout", .access),
            ("GET", "/auth/logout", .refresh), ("POST", "/auth/refresh", .refresh),
            ("GET", "/api/users/all", .access)
        ] {
            let r = app.send(method, path, token: try app.token(kind: kind, jti: long))
            #expect(r.status == 401 && text(r).contains(#""error":"invalid_token""#), "\(method) \(path)")
        }
        #expect(app.store.revoked.isEmpty)
    }

    @Test func jtiAtTheLimitLogsOutForGood() throws {
        let app = try TestApp()
        try app.addUser()
        let token = try app.token(jti: String(repeating: "j", count: Claims.maxJTIBytes))
        #expect(app.send("POST", "/auth/logout", token: token).status == 200)
        let after = app.send("GET", "/auth/whoami", token: token)
        #expect(after.status == 401 && text(after).contains("token_revoked"))
    }

    @Test func critHeaderIsInvalidToken() throws {
        let app = try TestApp()
        try app.addUser()
        let good = try app.token()
        #expect(app.send("GET", "/auth/whoami", token: good).status == 200)
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#.utf8))
        let payload = good.split(separator: ".")[1]
        let input = "\(header).\(payload)"
        let mac = try Crypto.hmac(.sha256, key: Array(TestApp.secret.utf8), data: Array(input.utf8))
        let r = app.send("GET", "/auth/whoami", token: input + "." + Base64URL.encode(mac))
        #expect(r.status == 401 && text(r) == #"{"message":"Signature verification failed","error":"invalid_token"}"#)
    }
}
