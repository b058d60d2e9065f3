import Logging
import AuthGateCore
import AuthGateStore
import AuthGateHTTP

/// Services with a fixed clock, a cheap hash method and an in-memory
/// store, to run requests through `Dispatcher` in process.
package struct TestApp {
    package static let now = 1_700_000_100.0
    package static let secret = "unit-test-secret"

    package let services: Services
    /// The rows; `context.store` is this store, or the read cache over it.
    package let store: MemoryUserStore
    package let context: Context
    /// Starts at `now`; tests that need time to pass move it.
    package let clock = TestClock(TestApp.now)

    /// `environment` adds to or overrides the test configuration
    /// (`FLASK_JWT_DECODE_LEEWAY`, ...); `cache` puts a `CachedUserStore`
    /// between the handlers and `store`; `userStore` replaces the memory store.
    /// (Logs go to each request's own logger: `Request(..., logger:)`.)
    package init(environment: [String: String] = [:], cache: ReadCache? = nil, userStore: (any UserStore)? = nil) throws
    {
        var env = [
            "FLASK_SECRET_KEY": Self.secret, "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "FLASK_SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/unit.sqlite"
        ]
        env.merge(environment) { $1 }
        let config = try Config.load(environment: env, dotEnv: [:], workingDirectory: "/nonexistent")
        services = try Services(config: config, clock: clock.clock, cache: cache)
        let store = MemoryUserStore()
        self.store = store
        let base = userStore ?? store
        context = Context(services: services, store: cache.map { CachedUserStore(base, cache: $0) } ?? base)
    }

    /// A registered user whose password is "123456".
    @discardableResult
    package func addUser(_ name: String = "alice") throws -> UserRecord {
        let user = UserRecord(
            id: "id-\(name)", username: name, email: "\(name)@example.com",
            passwordHash: try WerkzeugHash.make(password: "123456", method: services.config.hashMethod))
        store.users.append(user)
        return user
    }

    package func token(_ name: String = "alice", kind: Claims.Kind = .access, jti: String = "jti-1") throws -> String {
        let now = Int64(Self.now)
        return try services.tokens.sign(
            Claims(
                subject: name, kind: kind, fresh: false, jti: jti,
                issuedAt: now, notBefore: now, expires: Self.now + 900))
    }

    package func send(
        _ method: String, _ path: String, query: String = "", token: String? = nil,
        body: String? = nil
    ) -> Response {
        var headers: [String: String] = [:]
        if let token { headers["authorization"] = "Bearer \(token)" }
        if body != nil { headers["content-type"] = "application/json" }
        return send(
            Request(
                method: method, path: path, queryString: query, headers: headers,
                body: Array((body ?? "").utf8)))
    }

    package func send(_ request: Request, router: Router = Routes.router) -> Response {
        Dispatcher.respond(to: request, context: context, router: router)
    }
}

extension Response {
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The response as nginx reads it: the CGI head and what follows it.
    package var wire: (head: String, body: [UInt8]) {
        let bytes = serialized()
        let marker = Array("\r\n\r\n".utf8)
        var i = 0
        while i + marker.count <= bytes.count, !bytes[i..<(i + marker.count)].elementsEqual(marker) { i += 1 }
        let end = min(i + marker.count, bytes.count)
        return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[end...]))
    }
}
