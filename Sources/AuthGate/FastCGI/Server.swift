import Glibc
import Logging
import Synchronization

/// The responder process: opens (or inherits) the FastCGI listener,
/// migrates the schema, runs the worker threads and drains on SIGTERM or
/// SIGINT: stop accepting, let in-flight requests finish, close the
/// database connections, exit 0.
public final class Server: Sendable {
    let services: Services
    let logger: Logger
    let stopping = StopFlag()
    let listenFD: Int32
    let workers: [Worker]

    /// How long in-flight requests get to finish after SIGTERM.
    static let drainSeconds = 20.0
    /// How often expired revocations are deleted, off the request path.
    static let purgeIntervalSeconds = 600

    public init(services: Services, logger: Logger) throws {
        self.services = services
        self.logger = logger
        guard FastCGI.initialize() else { throw ServerError("FCGX_Init failed") }
        listenFD = try Listener.open(services.config.listen, logger: logger)
        workers = (0..<services.config.threads).map { Worker(index: $0) }
    }

    /// Runs until SIGTERM or SIGINT; returns once drained.
    public func run() throws {
        try services.config.database.migrate(logger: logger)
        let signals = Signals.blockTermination()
        var threads: [pthread_t] = []
        for worker in workers {
            threads.append(try spawnThread { [self] in
                worker.run(listenFD: listenFD, services: services, stopping: stopping, logger: logger)
            })
        }
        let purger = try spawnThread { [self] in purgeLoop() }
        var listener: pthread_t?
        if let cache = services.cache, case .postgres(let uri) = services.config.database {
            let changes = ChangeListener(uri: uri, cache: cache, logger: logger)
            listener = try spawnThread { [self] in changes.run(until: stopping) }
        }
        logger.info("authgate serving", metadata: [
            "threads": "\(workers.count)", "database": "\(services.config.database)",
        ])

        let signal = Signals.wait(signals)
        logger.info("draining", metadata: ["signal": "\(signal)"])
        stopping.set()
        FastCGI.shutdownPending()
        // Wakes threads blocked in accept; queued connections are refused.
        shutdown(listenFD, Int32(SHUT_RDWR))
        wakeWaitingWorkers(threads)
        for thread in threads { pthread_join(thread, nil) }
        pthread_join(purger, nil)
        if let listener { pthread_join(listener, nil) }
        close(listenFD)
        logger.info("stopped")
    }

    /// Interrupts workers idle in accept or on a kept connection, again and
    /// again, since one may re-enter a wait just after a signal; a busy
    /// worker is left to finish its request.
    private func wakeWaitingWorkers(_ threads: [pthread_t]) {
        let deadline = Clock.system.now() + Server.drainSeconds
        while Clock.system.now() < deadline {
            var running = 0
            for (worker, thread) in zip(workers, threads) {
                worker.state.withLock { state in
                    switch state {
                    case .waiting: running += 1; pthread_kill(thread, Signals.wake)
                    case .busy: running += 1
                    case .stopped: break
                    }
                }
            }
            if running == 0 { return }
            usleep(20_000)
        }
        logger.warning("drain deadline passed; exiting with requests in flight")
        exit(0)
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
