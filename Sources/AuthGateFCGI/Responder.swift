import Glibc
import Logging
import AuthGateCore
import AuthGateHTTP

/// The FastCGI transport of one process: accepts connections on the
/// listening socket, runs the worker threads and the KDF pool, and drains:
/// stop accepting (the listening socket is left as it is, for whoever
/// shares it), let in-flight and queued requests finish, then return.
package final class Responder: Sendable {
    let services: Services
    let logger: Logger
    let stopping: StopFlag
    let acceptor: Acceptor
    let pool: KDFPool
    let workers: [Worker]
    let metrics: ServiceMetrics

    /// How long in-flight requests get to finish after the drain starts.
    static let drainSeconds = 20.0

    /// `listenFD` from `openListener`; `metrics` counts every request and
    /// is what `/metrics` shows.
    package init(services: Services, listenFD: Int32, stopping: StopFlag, logger: Logger,
                 metrics: ServiceMetrics = .disabled) throws {
        self.services = services
        self.logger = logger
        self.stopping = stopping
        self.metrics = metrics
        acceptor = try Acceptor(listenFD: listenFD, logger: logger)
        pool = KDFPool(threads: services.config.kdfThreads ?? CPUBudget.cores(),
                       deadline: services.config.kdfWaitSeconds, initialCost: services.passwords.derivationSeconds,
                       metrics: metrics)
        workers = (0..<services.config.threads).map { Worker(index: $0) }
        TransportMetrics.register(in: metrics, workers: workers, pool: pool)
    }

    /// The FastCGI listening socket: inherited, or bound as configured.
    package static func openListener(_ configured: String?, logger: Logger) throws -> Int32 {
        guard FastCGI.initialize() else { throw ServerError("FCGX_Init failed") }
        return try Listener.open(configured, logger: logger)
    }

    package var kdfThreads: Int { pool.threads }
    package var kdfDeadline: Double { pool.deadline }

    private let threads = ThreadList()

    /// Starts the KDF pool and the workers.
    package func start() throws {
        let poolThreads = try pool.start(services: services, logger: logger)
        var workerThreads: [pthread_t] = []
        for worker in workers {
            workerThreads.append(try spawnThread { [self] in
                worker.run(acceptor: acceptor, pool: pool, services: services, metrics: metrics, stopping: stopping,
                           logger: logger)
            })
        }
        threads.set(workers: workerThreads, pool: poolThreads)
    }

    /// Stops accepting and waits for every request already read, queued
    /// logins included. `stopping` must be set first.
    package func drain() {
        let (workerThreads, poolThreads) = threads.get()
        acceptor.wakeAll()
        wakeAccepting(workerThreads)
        for thread in workerThreads { pthread_join(thread, nil) }
        pool.stop()
        for thread in poolThreads { pthread_join(thread, nil) }
        // Only this process's descriptor: the socket itself lives on for
        // systemd, spawn-fcgi siblings or the next process of a restart.
        close(acceptor.listenFD)
    }

    /// Waits for the workers and the KDF queue to finish. A worker stuck
    /// in `accept` (another process took the connection it was woken
    /// for) is interrupted by a signal, again and again, since it may
    /// enter `accept` just after one; nothing else is ever interrupted.
    private func wakeAccepting(_ threads: [pthread_t]) {
        let deadline = Clock.monotonic() + Responder.drainSeconds
        while Clock.monotonic() < deadline {
            var running = pool.pendingCount
            for (worker, thread) in zip(workers, threads) {
                worker.state.withLock { state in
                    switch state {
                    case .accepting: running += 1; pthread_kill(thread, Signals.wake)
                    case .working: running += 1
                    case .stopped: break
                    }
                }
            }
            if running == 0 { return }
            usleep(20_000)
        }
        logger.warning("drain deadline passed; exiting with requests in flight")
        // exit() would run atexit handlers and destructors under running threads.
        _exit(0)
    }
}

/// The responder's thread handles, set once by `start`.
private final class ThreadList: @unchecked Sendable {
    // @unchecked: written once by `start` before `drain` reads it, both on
    // the main thread.
    private var workers: [pthread_t] = []
    private var pool: [pthread_t] = []
    func set(workers: [pthread_t], pool: [pthread_t]) { self.workers = workers; self.pool = pool }
    func get() -> ([pthread_t], [pthread_t]) { (workers, pool) }
}
