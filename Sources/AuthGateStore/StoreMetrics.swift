import CoreMetrics

/// The store's counters, through swift-metrics' global factory (the
/// Prometheus registry once `serve` bootstrapped it; no-ops otherwise).
/// Made on first use, which in `serve` comes after that bootstrap.
enum StoreMetrics {
    /// A store connection opened again after its first (the server dropped
    /// it, or was down), and each new connection of the read cache's listener.
    static let storeReconnects = Counter(label: "authgate_db_reconnects_total", dimensions: [("connection", "store")])
    static let listenerReconnects = Counter(
        label: "authgate_db_reconnects_total",
        dimensions: [("connection", "listener")])
    /// Connection attempts the server refused or that timed out (answered 503).
    static let connectFailures = Counter(label: "authgate_db_connect_failures_total")
}
