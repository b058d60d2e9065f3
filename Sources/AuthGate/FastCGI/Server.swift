import Glibc
import Logging
import Synchronization

/// The responder process: opens (or inherits) the FastCGI listener,
/// migrates the schema, runs the worker threads and the KDF pool, and
/// drains on SIGTERM or SIGINT: stop accepting (the listening socket is
/// left as it is, for whoever shares it), let in-flight and queued
/// requests finish, close the database connections, exit 0.
public final class Server: Sendable {
    let services: Services
    let logger: Logger
    let stopping = StopFlag()
    let acceptor: Acceptor
    let pool: KDFPool
    let workers: [Worker]

    /// How long in-flight requests get to finish after SIGTERM.
    static let drainSeconds = 20.0
    /// How often expired revocations are deleted, off the request path.
    static let purgeIntervalSeconds = 600

    public init(services: Services, logger: Logger) throws {
        self.services = services
        self.logger = logger
        guard FastCGI.initialize() else { throw ServerError("FCGX_Init failed") }
        // Before the socket: a start that cannot adopt the schema (or waits
        // for a lock) must not accept requests it cannot serve.
        try services.config.database.migrate(logger: logger)
        acceptor = try Acceptor(listenFD: try Listener.open(services.config.listen, logger: logger), logger: logger)
        pool = KDFPool(threads: services.config.kdfThreads, deadline: services.config.kdfWaitSeconds,
                       initialCost: services.passwords.derivationSeconds)
        workers = (0..<services.config.threads).map { Worker(index: $0) }
    }

    /// Runs until SIGTERM or SIGINT; returns once drained.
    public func run() throws {
        let signals = Signals.blockTermination()
        let poolThreads = try pool.start(services: services, acceptor: acceptor, logger: logger)
        var threads: [pthread_t] = []
        for worker in workers {
            threads.append(try spawnThread { [self] in
                worker.run(acceptor: acceptor, pool: pool, services: services, stopping: stopping, logger: logger)
            })
        }
        let purger = try spawnThread { [self] in purgeLoop() }
        var listener: pthread_t?
        if let cache = services.cache, case .postgres(let uri) = services.config.database {
            let changes = ChangeListener(uri: uri, cache: cache, logger: logger)
            listener = try spawnThread { [self] in changes.run(until: stopping) }
        }
        logger.info("authgate serving", metadata: [
            "threads": "\(workers.count)", "kdf.threads": "\(pool.threads)",
            "kdf.wait.seconds": "\(pool.deadline)", "database": "\(services.config.database)",
        ])
        Supervisor.notifyReady()

        let signal = Signals.wait(signals)
        logger.info("draining", metadata: ["signal": "\(signal)"])
        stopping.set()
        acceptor.wakeAll()
        wakeAccepting(threads)
        for thread in threads { pthread_join(thread, nil) }
        pool.stop()
        for thread in poolThreads { pthread_join(thread, nil) }
        acceptor.closeReturned()
        pthread_join(purger, nil)
        if let listener { pthread_join(listener, nil) }
        // Only this process's descriptor: the socket itself lives on for
        // systemd, spawn-fcgi siblings or the next process of a restart.
        close(acceptor.listenFD)
        logger.info("stopped")
    }

    /// Waits for the workers and the KDF queue to finish. A worker stuck
    /// in `accept` (another process took the connection it was woken
    /// for) is interrupted by a signal, again and again, since it may
    /// enter `accept` just after one; nothing else is ever interrupted.
    private func wakeAccepting(_ threads: [pthread_t]) {
        let deadline = Clock.monotonic() + Server.drainSeconds
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

    private func purgeLoop() {
        var store: UserStore?
        var nextRun = 0.0
        while !stopping.isSet {
            services.passwords.releaseIdleBuffers()
            let now = Clock.system.now()
            if now >= nextRun {
                nextRun = now + Double(Server.purgeIntervalSeconds)
                do {
                    if store == nil { store = try services.openStore(logger: logger) }
                    let removed = try store?.purgeRevocations(expiredBefore: now - Double(services.config.leeway)) ?? 0
                    logger.debug("purged expired revocations", metadata: ["rows": "\(removed)"])
                } catch {
                    logger.warning("purge failed", metadata: ["error": "\(error)"])
                }
            }
            usleep(200_000)
        }
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Starts a joinable pthread running `body`.
func spawnThread(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        guard let arg else { return nil }
        let box = Unmanaged<Box>.fromOpaque(arg).takeRetainedValue()
        box.body()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        throw ServerError("pthread_create failed: \(rc)")
    }
    return thread
}
