import Logging
import Prometheus
import Synchronization
import Testing
import AuthGateCore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// Counting, timing, the request line and the audit events of finished
/// requests, derived from route and status only (no handler reports).
@Suite struct RequestObserverTests {
    /// A registry of its own per test: nothing global is touched.
    struct Rig {
        let registry = PrometheusCollectorRegistry()
        let requests = LogCapture()
        let audit = LogCapture()
        let metrics: ServiceMetrics
        var observer: RequestObserver

        init() {
            let registry = self.registry
            metrics = ServiceMetrics(
                factory: PrometheusMetricsFactory(registry: registry),
                emit: { registry.emit(into: &$0) })
            observer = RequestObserver(metrics: metrics, requestLog: requests.logger, auditLog: audit.logger)
        }

        var exposition: String { String(decoding: metrics.exposition(), as: UTF8.self) }

        mutating func finish(
            _ method: String, _ path: String, status: Int, body: String = "",
            headers: [String: String] = [:], responseHeaders: [(name: String, value: String)] = [],
            id: String = "req-1", seconds: Double = 0.002
        ) {
            let request = Request(method: method, path: path, headers: headers, body: Array(body.utf8), id: id)
            observer.finished(request, Response(status: status, headers: responseHeaders, body: []), seconds: seconds)
        }

        var events: [String] { audit.entries.compactMap { $0.metadata["event"] } }
    }

    @Test func countsByRouteAndStatusAndTimesByRoute() {
        var rig = Rig()
        rig.finish("POST", "/auth/login", status: 200, seconds: 0.07)
        rig.finish("POST", "/auth/login", status: 200, seconds: 0.3)
        rig.finish("GET", "/api/auth/whoami", status: 401)
        let text = rig.exposition
        #expect(text.contains(#"authgate_requests_total{route="/auth/login",status="200"} 2"#))
        #expect(text.contains(#"authgate_requests_total{route="/api/auth/whoami",status="401"} 1"#))
        #expect(text.contains(#"authgate_request_duration_seconds_bucket{route="/auth/login",le="0.05"} 0"#))
        #expect(text.contains(#"authgate_request_duration_seconds_bucket{route="/auth/login",le="0.1"} 1"#))
        #expect(text.contains(#"authgate_request_duration_seconds_bucket{route="/auth/login",le="+Inf"} 2"#))
        #expect(text.contains(#"authgate_request_duration_seconds_count{route="/auth/login"} 2"#))
        #expect(text.contains(#"authgate_request_duration_seconds_sum{route="/auth/login"} 0.37"#))
    }

    @Test func aClientsOwnPathNeverBecomesALabel() {
        var rig = Rig()
        rig.finish("GET", "/no/such/path", status: 404)
        // U+212A KELVIN SIGN is canonically equivalent to "K": not the route.
        rig.finish("GET", "/healthz\u{212A}", status: 404)
        rig.finish("GET", "/metrics", status: 404)
        let text = rig.exposition
        #expect(text.contains(#"authgate_requests_total{route="unmatched",status="404"} 3"#))
        #expect(!text.contains("/no/such/path"))
        #expect(rig.requests.entries.allSatisfy { $0.metadata["route"] == "unmatched" })
    }

    @Test func oneRequestLineWithIdRouteStatusAndDuration() throws {
        var rig = Rig()
        rig.finish("GET", "/healthz", status: 200, id: "abc.DEF-1", seconds: 0.00125)
        let line = try #require(rig.requests.entries.first)
        #expect(rig.requests.entries.count == 1)
        #expect(line.level == .info && line.message == "request")
        #expect(
            line.metadata == [
                "request.id": "abc.DEF-1", "method": "GET", "route": "/healthz", "status": "200",
                "duration_ms": "1.25"
            ])
        #expect(rig.audit.entries.isEmpty)
    }

    @Test func loginRegisterAndLogoutAreAuditedWithTheUsernameNeverThePassword() throws {
        var rig = Rig()
        let body = #"{"username": "alice", "password": "pw-never-logged", "email": "a@example.com"}"#
        rig.finish("POST", "/auth/register", status: 201, body: body)
        rig.finish("POST", "/api/auth/register", status: 409, body: body)
        rig.finish("POST", "/auth/login", status: 200, body: body)
        rig.finish("POST", "/auth/login", status: 400, body: #"{"username": "mallory", "password": "guess"}"#)
        rig.finish("POST", "/auth/login", status: 400, body: "not json")
        let token = try TestApp().token("alice")
        rig.finish("GET", "/auth/logout", status: 200, headers: ["authorization": "Bearer \(token)"])
        #expect(
            rig.events == [
                "register", "register.refused", "login.success", "login.failure", "login.failure",
                "logout"
            ])
        #expect(
            rig.audit.entries.map { $0.metadata["username"] } == ["alice", "alice", "alice", "mallory", nil, "alice"])
        #expect(rig.audit.entries.allSatisfy { $0.level == .notice && $0.metadata["request.id"] == "req-1" })
        let everything = (rig.audit.entries + rig.requests.entries).map(\.text).joined(separator: "\n")
        #expect(!everything.contains("pw-never-logged") && !everything.contains("guess"))
        #expect(!everything.contains(token))
    }

    @Test func throttlingIsAuditedOnAnyRouteButAnOutageIsNot() {
        var rig = Rig()
        rig.finish(
            "POST", "/auth/login", status: 503, body: #"{"username": "bob", "password": "x"}"#,
            responseHeaders: [("Retry-After", "2")])
        rig.finish("POST", "/auth/register", status: 429, responseHeaders: [("Retry-After", "60")])
        rig.finish("GET", "/auth/whoami", status: 503)  // database down: no Retry-After
        rig.finish("GET", "/healthz", status: 503)
        #expect(rig.events == ["throttled", "throttled"])
        #expect(rig.audit.entries.first?.metadata["username"] == "bob")
    }

    @Test func whatIsNotAnAuthEventIsNotAudited() {
        var rig = Rig()
        rig.finish("OPTIONS", "/auth/login", status: 200)
        rig.finish("GET", "/auth/login", status: 405)
        rig.finish("POST", "/auth/logout", status: 401)
        rig.finish("GET", "/auth/refresh", status: 200)
        rig.finish("POST", "/auth/login", status: 500)
        #expect(rig.events.isEmpty)
        #expect(rig.requests.entries.count == 5)
    }

    @Test func theTokenSubjectIsReadOnlyFromAWellFormedBearerHeader() throws {
        let token = try TestApp().token("carol")
        #expect(AuditSubject.tokenSubject("Bearer \(token)") == "carol")
        #expect(AuditSubject.tokenSubject("Bearer") == nil)
        #expect(AuditSubject.tokenSubject("Bearer a.b") == nil)
        #expect(AuditSubject.tokenSubject("Bearer a.!!!.c") == nil)
        #expect(AuditSubject.tokenSubject("Bearer \(token) extra") == nil)
        #expect(AuditSubject.bodyUsername(Array(#"{"username": 5}"#.utf8)) == nil)
        let long = String(repeating: "n", count: 500)
        #expect(
            AuditSubject.bodyUsername(Array(#"{"username": "\#(long)"}"#.utf8))?.count == AuditSubject.maxCharacters)
    }

    /// Through the route table: with nginx's metrics parameter, Prometheus
    /// text to GET and HEAD only; without it (or with another value), the
    /// path does not exist for any method.
    @Test func theMetricsEndpointAnswersPrometheusTextToGetAndHeadOnly() throws {
        let rig = Rig()
        let context = Context(services: try TestApp().services, store: MemoryUserStore(), metrics: rig.metrics)
        func send(_ method: String, _ gate: String?) -> Response {
            var request = Request(method: method, path: "/metrics")
            request.parameters["AUTHGATE_METRICS"] = gate
            return Dispatcher.respond(to: request, context: context)
        }
        let get = send("GET", "1")
        #expect(get.status == 200)
        #expect(get.wire.head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(
            String(decoding: get.body, as: UTF8.self).contains("# TYPE authgate_request_duration_seconds histogram"))
        let head = send("HEAD", "1")
        #expect(head.status == 200 && head.wire.body.isEmpty)
        let post = send("POST", "1")
        #expect(post.status == 405 && post.wire.head.contains("Content-Type: application/json\r\n"))
        for method in ["GET", "HEAD", "POST", "OPTIONS"] {
            for gate in [nil, "0", "1 ", "true"] {
                #expect(send(method, gate).status == 404, "\(method) with AUTHGATE_METRICS=\(gate ?? "nil")")
            }
        }
    }

    @Test func scrapeSamplersRunBeforeEachExposition() {
        let rig = Rig()
        let gauge = rig.metrics.gauge("authgate_test_scrapes")
        let scrapes = Mutex(0)
        rig.metrics.onScrape {
            gauge.record(
                scrapes.withLock {
                    $0 += 1; return $0
                })
        }
        #expect(scrapes.withLock { $0 } == 0, "nothing is sampled until a scrape")
        #expect(rig.exposition.contains("authgate_test_scrapes 1.0"))
        #expect(rig.exposition.contains("authgate_test_scrapes 2.0"))
    }
}
