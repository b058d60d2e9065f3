import CoreMetrics
import Prometheus
import AuthGateHTTP
import AuthGateStore

/// This process's Prometheus registry, behind swift-metrics: bootstrapped
/// once, on first use, before anything makes a metric handle (the store's
/// counters are made through the global factory when first used).
enum MetricsRegistry {
    static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The service's metrics over that registry, with the read cache's
    /// gauges when there is one.
    static func serviceMetrics(cache: ReadCache?) -> ServiceMetrics {
        let registry = shared
        let metrics = ServiceMetrics(
            factory: PrometheusMetricsFactory(registry: registry),
            emit: { registry.emit(into: &$0) })
        if let cache { registerGauges(of: cache, in: metrics) }
        return metrics
    }

    /// `authgate_read_cache_enabled` (1 while the listener proves the cache
    /// true, else 0: every read goes to the database) and
    /// `authgate_read_cache_entries{kind}`, read when scraped.
    static func registerGauges(of cache: ReadCache, in metrics: ServiceMetrics) {
        let enabled = metrics.gauge("authgate_read_cache_enabled")
        let revocations = metrics.gauge("authgate_read_cache_entries", [("kind", "revocations")])
        let users = metrics.gauge("authgate_read_cache_entries", [("kind", "users")])
        let pages = metrics.gauge("authgate_read_cache_entries", [("kind", "pages")])
        metrics.onScrape {
            let now = cache.snapshot
            enabled.record(now.enabled ? 1 : 0)
            revocations.record(now.revocations)
            users.record(now.users)
            pages.record(now.pages)
        }
    }
}
