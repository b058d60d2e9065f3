import Logging
@testable import AuthGateCore
@testable import AuthGateStore
@testable import AuthGateHTTP
@testable import AuthGateFCGI
@testable import AuthGateApp

/// Services with a fixed clock, a cheap hash method and an in-memory
/// store, to run requests through `Dispatcher` in process.
struct TestApp {
    static let now = 1_700_000_100.0
    static let secret = "unit-test-secret"

    let services: Services
    let store = MemoryUserStore()
    let context: Context

    init() throws {
        let config = try Config.load(
            environment: ["FLASK_SECRET_KEY": Self.secret, "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                          "FLASK_SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/unit.sqlite"],
            dotEnv: [:], workingDirectory: "/nonexistent")
        services = try Services(config: config, clock: Clock { TestApp.now })
        context = Context(services: services, store: store)
    }

    /// A registered user whose password is "123456".
    @discardableResult
    func addUser(_ name: String = "alice") throws -> UserRecord {
        let user = UserRecord(id: "id-\(name)", username: name, email: "\(name)@example.com",
                              passwordHash: try WerkzeugHash.make(password: "123456", method: services.config.hashMethod))
        store.users.append(user)
        return user
    }

    func token(_ name: String = "alice", kind: Claims.Kind = .access, jti: String = "jti-1") throws -> String {
        let now = Int64(Self.now)
        return try services.tokens.sign(Claims(subject: name, kind: kind, fresh: false, jti: jti,
                                               issuedAt: now, notBefore: now, expires: Self.now + 900))
    }

    func send(_ method: String, _ path: String, query: String = "", token: String? = nil,
              body: String? = nil) -> Response {
        var headers: [String: String] = [:]
        if let token { headers["authorization"] = "Bearer \(token)" }
        if body != nil { headers["content-type"] = "application/json" }
        let request = Request(method: method, path: path, queryString: query, headers: headers,
                              body: Array((body ?? "").utf8))
        return Dispatcher.respond(to: request, context: context)
    }
}

extension Response {
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The response as nginx reads it: the CGI head and what follows it.
    var wire: (head: String, body: [UInt8]) {
        let bytes = serialized()
        let marker = Array("\r\n\r\n".utf8)
        var i = 0
        while i + marker.count <= bytes.count, !bytes[i..<(i + marker.count)].elementsEqual(marker) { i += 1 }
        let end = min(i + marker.count, bytes.count)
        return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[end...]))
    }
}
