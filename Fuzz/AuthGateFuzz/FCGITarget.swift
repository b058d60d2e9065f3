import AuthGateCore
import AuthGateHTTP
import AuthGateFCGI
import AuthGateStore
import AuthGateTestSupport

/// The FastCGI parameter handling AuthGate does itself: the input's params
/// (`FCGIParams`, looked up as libfcgi does) become a `RequestHead`; the
/// route is checked before the body, the body is read up to the head's
/// limit, and the request is dispatched through the real router and
/// handlers to an in-memory store holding one user, as a worker does.
/// Invariants: never a 500 (the store does not fail); a body, when there
/// is one, is a JSON object; no header value breaks the response head.
enum FCGITarget {
    /// Cheap hashing (PBKDF2, 2 iterations) and rehash on login, which
    /// then replaces alice's 1-iteration hash: that path runs too.
    static let services: Services = {
        let config = FuzzFixtures.config([
            "FLASK_SECRET_KEY": FuzzFixtures.hmacSecret,
            "AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS": FuzzFixtures.ed25519Public,
            "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:2",
            "AUTHGATE_REHASH_ON_LOGIN": "true"
        ])
        do {
            return try Services(config: config, clock: FuzzFixtures.clock)
        } catch {
            fatalError("fuzz services do not start: \(error)")
        }
    }()

    /// alice's password is "123456" (the seeds log in with it).
    static let alice: UserRecord = {
        do {
            return UserRecord(
                id: "00000000-0000-4000-8000-000000000001", username: "alice",
                email: "alice@example.com",
                passwordHash: try WerkzeugHash.make(password: "123456", method: .pbkdf2(.sha256, iterations: 1)))
        } catch {
            fatalError("cannot hash alice's password: \(error)")
        }
    }()

    static func run(_ input: [UInt8]) {
        let params = FCGIParams(input)
        // A new store and context per input: each run starts from the same state.
        let context = Context(services: services, store: MemoryUserStore(users: [alice]))
        var head = RequestHead(param: params.param, fallbackID: { "0-1" }, logger: FuzzFixtures.logger)
        var request = head.request
        let response: Response
        do {
            let route = try head.route(param: params.param)
            request = head.request
            request.body = Array(params.body.prefix(head.bodyLimit))
            response = Dispatcher.respond(to: request, with: route, context: context)
        } catch {
            response = Dispatcher.errorResponse(for: error, to: request)
        }
        check(response, for: request, input)
    }

    static func check(_ response: Response, for request: Request, _ input: [UInt8]) {
        if response.status == 500 { FuzzCheck.fail("a request was answered 500", input) }
        for (name, value) in response.headers
        where (name + value).utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            FuzzCheck.fail("header \(name) holds a line break", input)
        }
        let (head, body) = response.wireParts
        blackHole(head)
        // The sign-in pages answer HTML; every other body is a JSON object.
        if !body.isEmpty, response.contentType == "application/json" {
            guard case .object? = try? JSONParser.parse(body) else {
                FuzzCheck.fail("a response body is not a JSON object", input)
            }
        }
    }
}
