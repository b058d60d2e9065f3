import Glibc
import Logging
import AuthGateCore
import AuthGateHTTP

/// The FastCGI transport of one process: accepts connections on the
/// listening socket, parks idle ones, runs the worker threads and the KDF
/// pool, and drains: stop accepting (the listening socket is left as it
/// is, for whoever shares it), close idle connections, let in-flight,
/// queued and already sent requests finish, then return.
package final class Responder: Sendable {
    let services: Services
    let logger: Logger
    let acceptor: Acceptor
    let park: ConnectionPark
    let pool: KDFPool
    let held: HeldAnswers
    let workers: [Worker]
    let metrics: ServiceMetrics

    /// How long in-flight requests get to finish after the drain starts.
    static let drainSeconds = 20.0

    /// `listenFD` from `openListener`; `metrics` counts every request and
    /// is what `/metrics` shows.
    package init(services: Services, listenFD: Int32, logger: Logger, metrics: ServiceMetrics = .disabled) throws {
        self.services = services
        self.logger = logger
        self.metrics = metrics
        acceptor = Acceptor(listenFD: listenFD, logger: logger)
        park = try ConnectionPark(
            listenFD: listenFD, maxParked: services.config.maxIdleConnections,
            idleSeconds: services.config.idleConnectionSeconds)
        pool = KDFPool(
            threads: services.config.kdfThreads ?? CPUBudget.cores(),
            deadline: services.config.kdfWaitSeconds, initialCost: services.passwords.derivationSeconds,
            park: park, metrics: metrics)
        held = HeldAnswers(park: park)
        workers = (0..<services.config.threads).map { Worker(index: $0) }
        TransportMetrics.register(in: metrics, workers: workers, pool: pool, park: park, held: held)
    }

    /// The FastCGI listening socket: inherited, or bound as configured.
    package static func openListener(_ configured: String?, socketMode: UInt32, logger: Logger) throws -> Int32 {
        guard FastCGI.initialize() else { throw ServerError("FCGX_Init failed") }
        return try Listener.open(configured, socketMode: socketMode, logger: logger)
    }

    package var kdfThreads: Int { pool.threads }

    /// Ends KDF helper processes idle for `KDFHelper.idleSeconds`, reaps exited ones.
    package func endIdleKDFHelpers() { pool.endIdleHelpers() }
    package var kdfDeadline: Double { pool.deadline }

    private let threads = ThreadList()

    /// Starts the KDF pool, the held answers' thread and the workers.
    package func start() throws {
        let helperThreads =
            try pool.start(services: services, logger: logger)
            + [held.start(services: services, metrics: metrics, logger: logger)]
        var workerThreads: [pthread_t] = []
        for worker in workers {
            workerThreads.append(
                try spawnThread { [self] in
                    worker.run(
                        acceptor: acceptor, park: park, pool: pool, held: held, services: services,
                        metrics: metrics, logger: logger)
                })
        }
        threads.set(workers: workerThreads, helpers: helperThreads)
    }

    /// Stops accepting and waits for every request already read or sent
    /// on a kept connection, queued logins included; then the workers stop.
    package func drain() {
        let (workerThreads, helperThreads) = threads.get()
        let deadline = Clock.monotonic() + Responder.drainSeconds
        park.beginDrain()
        held.sendAllNow()
        waitForRequests(workerThreads, deadline: deadline)
        park.wakeAll()
        waitForWorkersToStop(workerThreads, deadline: deadline)
        for thread in workerThreads { pthread_join(thread, nil) }
        held.stop()
        pool.stop()
        for thread in helperThreads { pthread_join(thread, nil) }
        park.closeAll()
        // Only this process's descriptor: the socket itself lives on for
        // systemd, spawn-fcgi siblings or the next process of a restart.
        close(acceptor.listenFD)
    }

    /// Waits until no request is being served or queued and no parked
    /// connection has one waiting, closing idle connections as it goes. A
    /// worker stuck in `accept` (another process took the connection it
    /// was woken for) is interrupted by a signal, again and again, since it
    /// may enter `accept` just after one; nothing else is ever interrupted.
    private func waitForRequests(_ threads: [pthread_t], deadline: Double) {
        waitUntil(threads, deadline: deadline, queued: { pool.pendingCount + held.count + park.count }) { worker in
            worker.busy.load(ordering: .relaxed)
        }
    }

    /// After the wake-up: waits until every worker has left its loop,
    /// interrupting any that took the listener's last event just before
    /// the drain and is stuck in `accept` (a connection it did get, it
    /// serves before it stops).
    private func waitForWorkersToStop(_ threads: [pthread_t], deadline: Double) {
        waitUntil(threads, deadline: deadline, queued: { 0 }) { worker in worker.state.withLock { $0 } != .stopped }
    }

    /// Polls until `queued` is 0 and no worker is `running`; signals the
    /// workers in `accept` on every round. Past `deadline` (the drain's
    /// `drainSeconds`), the process exits as it is.
    private func waitUntil(_ threads: [pthread_t], deadline: Double, queued: () -> Int, running: (Worker) -> Bool) {
        while Clock.monotonic() < deadline {
            park.closeIdle()
            var pending = queued()
            for (worker, thread) in zip(workers, threads) {
                if running(worker) { pending += 1 }
                worker.state.withLock { state in
                    if state == .accepting { pending += 1; pthread_kill(thread, Signals.wake) }
                }
            }
            if pending == 0 { return }
            usleep(20_000)
        }
        logger.warning("drain deadline passed; exiting with requests in flight")
        // exit() would run atexit handlers and destructors under running threads.
        _exit(0)
    }
}

/// The responder's thread handles, set once by `start`: the workers, and
/// their helpers (the KDF pool's threads, the held answers' thread).
private final class ThreadList: @unchecked Sendable {
    // @unchecked: written once by `start` before `drain` reads it, both on
    // the main thread.
    private var workers: [pthread_t] = []
    private var helpers: [pthread_t] = []
    func set(workers: [pthread_t], helpers: [pthread_t]) { self.workers = workers; self.helpers = helpers }
    func get() -> ([pthread_t], [pthread_t]) { (workers, helpers) }
}
