import CoreMetrics
import AuthGateCore

/// The metrics of one responder process, served by `MetricsEndpoint`.
/// Counters and gauges go through swift-metrics (`factory`: the Prometheus
/// registry's in `serve`); the request-duration histograms are this
/// process's own atomic ones (`LatencyHistogram`). Gauges whose truth lives
/// elsewhere (queue depth, busy threads, the read cache) are sampled when
/// scraped, by the closures registered with `onScrape`: nothing is paid for
/// them per request.
///
/// Everything here counts since this process started: under
/// `serve --supervise` each responder (a new one after every SIGHUP or
/// crash) starts from zero, as Prometheus expects of a restarted target.
public final class ServiceMetrics: Sendable {
    /// For tests and tools that serve nothing: counts go nowhere.
    public static let disabled = ServiceMetrics(factory: NOOPMetricsHandler.instance, emit: nil)

    static let requestsName = "authgate_requests_total"
    static let durationName = "authgate_request_duration_seconds"

    let factory: any MetricsFactory
    /// By `RouteLabel` index.
    let latency: [LatencyHistogram] = RouteLabel.all.map { _ in LatencyHistogram() }
    private let emitRegistry: (@Sendable (inout [UInt8]) -> Void)?
    private let samplers = Locked<[@Sendable () -> Void]>([])

    /// `emit` appends the registry behind `factory` in the Prometheus text
    /// format (nil: no registry to show).
    public init(factory: any MetricsFactory, emit: (@Sendable (inout [UInt8]) -> Void)?) {
        self.factory = factory
        self.emitRegistry = emit
    }

    /// The request counter of one route and status. Made once per thread
    /// and pair by `RequestObserver` (making one takes the registry's lock).
    func requestCounter(route: Int, status: Int) -> Counter {
        Counter(
            label: Self.requestsName, dimensions: [("route", RouteLabel.all[route]), ("status", String(status))],
            factory: factory)
    }

    public func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
        Counter(label: name, dimensions: dimensions, factory: factory)
    }

    public func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Gauge {
        Gauge(label: name, dimensions: dimensions, factory: factory)
    }

    /// `sample` runs before every exposition, to set gauges from live state.
    public func onScrape(_ sample: @escaping @Sendable () -> Void) {
        samplers.withLock { $0.append(sample) }
    }

    /// The Prometheus text exposition (format 0.0.4) of everything.
    public func exposition() -> [UInt8] {
        for sample in samplers.withLock({ $0 }) { sample() }
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        emitRegistry?(&out)
        out.append(contentsOf: "# TYPE \(Self.durationName) histogram\n".utf8)
        for (label, histogram) in zip(RouteLabel.all, latency) {
            histogram.render(name: Self.durationName, labels: "route=\"\(label)\"", into: &out)
        }
        return out
    }
}
