import MetricsTestKit
import Testing
import AuthGateCore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The request counter through swift-metrics' own test kit: each finished
/// request counts once under its route's label and its status.
@Suite struct RequestCountTests {
    @Test func eachFinishedRequestCountsOnceByRouteAndStatus() throws {
        let metrics = TestMetrics()
        let capture = LogCapture()
        var observer = RequestObserver(
            metrics: ServiceMetrics(factory: metrics, emit: nil), requestLog: capture.logger,
            auditLog: capture.logger)
        for status in [200, 200, 401] {
            observer.finished(
                Request(method: "GET", path: "/auth/whoami", id: "r"), Response(status: status, headers: [], body: []),
                seconds: 0.001)
        }
        let ok = try metrics.expectCounter("authgate_requests_total", [("route", "/auth/whoami"), ("status", "200")])
        let refused = try metrics.expectCounter(
            "authgate_requests_total", [("route", "/auth/whoami"), ("status", "401")])
        #expect(ok.totalValue == 2 && refused.totalValue == 1)
    }
}
