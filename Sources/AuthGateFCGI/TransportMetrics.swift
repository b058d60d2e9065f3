import CoreMetrics
import Synchronization
import AuthGateHTTP

/// The transport's gauges, set from live state when metrics are scraped:
///
/// - `authgate_threads{kind="worker"|"kdf"}`: threads running (a worker
///   that could not open the database has stopped);
/// - `authgate_threads_busy{kind="worker"|"kdf"}`: serving a request /
///   deriving a key now;
/// - `authgate_kdf_queue_depth`: logins and registrations queued or running;
/// - `authgate_connections_parked`: idle kept connections waiting in the
///   park for their next request;
/// - `authgate_connections_new`: new connections waiting in the park for
///   their first request (outside the cap; closed after 30 s of silence);
/// - `authgate_answers_held`: 503s of a full key-derivation queue held
///   back before they are sent (`HeldAnswers`).
enum TransportMetrics {
    static func register(
        in metrics: ServiceMetrics, workers: [Worker], pool: KDFPool, park: ConnectionPark,
        held: HeldAnswers
    ) {
        let workerThreads = metrics.gauge("authgate_threads", [("kind", "worker")])
        let kdfThreads = metrics.gauge("authgate_threads", [("kind", "kdf")])
        let workersBusy = metrics.gauge("authgate_threads_busy", [("kind", "worker")])
        let kdfBusy = metrics.gauge("authgate_threads_busy", [("kind", "kdf")])
        let queueDepth = metrics.gauge("authgate_kdf_queue_depth")
        let parked = metrics.gauge("authgate_connections_parked")
        let fresh = metrics.gauge("authgate_connections_new")
        let heldAnswers = metrics.gauge("authgate_answers_held")
        kdfThreads.record(pool.threads)
        // `pool` weakly: it holds `metrics`, which holds this closure; a
        // strong capture is a retain cycle that outlives the responder
        // (LeakSanitizer reported it at exit).
        metrics.onScrape { [weak pool, weak park, weak held] in
            guard let pool, let park, let held else { return }
            var running = 0, busy = 0
            for worker in workers {
                if worker.state.withLock({ $0 }) != .stopped { running += 1 }
                if worker.busy.load(ordering: .relaxed) { busy += 1 }
            }
            workerThreads.record(running)
            workersBusy.record(busy)
            kdfBusy.record(pool.derivingCount)
            queueDepth.record(pool.pendingCount)
            let idle = park.idleCount
            parked.record(idle)
            fresh.record(max(0, park.count - idle))
            heldAnswers.record(held.count)
        }
    }
}
