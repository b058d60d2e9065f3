import CoreMetrics
import Logging

/// What happens to every answered request, in one place: it is counted
/// (`authgate_requests_total{route,status}`), timed
/// (`authgate_request_duration_seconds{route}`), logged as one line
/// (logger `authgate.request`: at debug, since nginx's access line is the
/// request log, joined to AuthGate's lines by the request id; at info with
/// `AUTHGATE_REQUEST_LOG`) and, for the events `AuditEvent` lists,
/// audited (logger `authgate.audit`). One per thread that answers requests
/// (worker, KDF thread): its counter handles are its own, so after the
/// first request of each route and status nothing here takes a lock.
public struct RequestObserver {
    let metrics: ServiceMetrics
    let requestLog: Logger
    let auditLog: Logger
    /// The level of the per-request line.
    let requestLevel: Logger.Level
    /// By route index × 1000 + status.
    private var counters: [Int: Counter] = [:]

    /// The request and audit loggers are `authgate.request` and
    /// `authgate.audit`, at `logger`'s level; `requestLines` logs each
    /// request at info instead of debug.
    public init(metrics: ServiceMetrics, logger: Logger, requestLines: Bool) {
        var requestLog = Logger(label: "authgate.request")
        requestLog.logLevel = logger.logLevel
        var auditLog = Logger(label: "authgate.audit")
        auditLog.logLevel = logger.logLevel
        self.init(
            metrics: metrics, requestLog: requestLog, auditLog: auditLog,
            requestLevel: requestLines ? .info : .debug)
    }

    init(metrics: ServiceMetrics, requestLog: Logger, auditLog: Logger, requestLevel: Logger.Level = .info) {
        self.metrics = metrics
        self.requestLog = requestLog
        self.auditLog = auditLog
        self.requestLevel = requestLevel
    }

    /// `request` was answered `response` after `seconds` (from reading its
    /// parameters to writing the answer), labelled by its path (`RouteLabel`).
    public mutating func finished(_ request: Request, _ response: Response, seconds: Double) {
        let route = RouteLabel.index(of: request)
        let label = RouteLabel.all[route]
        let key = route * 1000 + response.status
        if let counter = counters[key] {
            counter.increment()
        } else {
            let counter = metrics.requestCounter(route: route, status: response.status)
            counters[key] = counter
            counter.increment()
        }
        metrics.latency[route].record(seconds: seconds)

        // The audit line first: the request line is always the last one
        // about a request.
        let purpose = RouteLabel.purposes[route]
        if let event = AuditEvent(purpose: purpose, method: request.method, response: response) {
            var metadata: Logger.Metadata = [
                "event": .string(event.rawValue),
                "request.id": .string(request.id),
                "route": .string(label),
                "status": .stringConvertible(response.status)
            ]
            if let username = AuditSubject.username(for: event, purpose: purpose, request: request) {
                metadata["username"] = .string(username)
            }
            auditLog.notice("audit", metadata: metadata)
        }
        requestLog.log(
            level: requestLevel, "request",
            metadata: [
                "request.id": .string(request.id),
                "method": .string(request.method),
                "route": .string(label),
                "status": .stringConvertible(response.status),
                "duration_ms": .stringConvertible(Self.milliseconds(seconds))
            ])
    }

    /// Milliseconds to the microsecond, for the log line.
    static func milliseconds(_ seconds: Double) -> Double {
        guard seconds.isFinite else { return 0 }
        return (min(max(seconds, 0), 1e6) * 1e6).rounded() / 1000
    }
}
