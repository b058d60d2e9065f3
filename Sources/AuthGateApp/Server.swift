import Glibc
import Logging
import AuthGateCore
import AuthGateStore
import AuthGateHTTP
import AuthGateFCGI

/// One responder process, composed: migrates the schema, opens (or
/// inherits) the FastCGI listener, starts the transport and the background
/// jobs (revocation purge, the read cache's change listener), and drains on
/// SIGTERM or SIGINT, then returns (the caller exits 0).
public final class Server: Sendable {
    let services: Services
    let logger: Logger
    let stopping = StopFlag()
    let responder: Responder

    /// How often expired revocations are deleted, off the request path.
    static let purgeIntervalSeconds = 600

    /// The read cache is used where something keeps it true: PostgreSQL's
    /// NOTIFY triggers. On SQLite every read goes to the file.
    public init(config: Config, logger: Logger) throws {
        // First: every metric handle made from here on reports to /metrics.
        _ = MetricsRegistry.shared
        let cache: ReadCache?
        if case .postgres = config.database { cache = ReadCache() } else { cache = nil }
        services = try Services(config: config, cache: cache)
        self.logger = logger
        for warning in config.warnings { logger.warning("configuration: \(warning)") }
        // Before the socket: a start that cannot adopt the schema (or waits
        // for a lock) must not accept requests it cannot serve.
        try config.database.migrate(logger: logger)
        if config.usernamePolicy == .caseless {
            // The bulk of an adopted table's keys, here rather than in the
            // first registration; each registration adds what came since.
            let started = Clock.monotonic()
            try config.database.open(echo: false, logger: logger).syncUsernameKeys()
            logger.info(
                "username keys are current (caseless username policy)",
                metadata: ["seconds": "\(Clock.monotonic() - started)"])
        }
        let listenFD = try Responder.openListener(config.listen, socketMode: config.socketMode, logger: logger)
        responder = try Responder(
            services: services, listenFD: listenFD, logger: logger,
            metrics: MetricsRegistry.serviceMetrics(cache: cache))
    }

    /// Runs until SIGTERM or SIGINT; returns once drained.
    public func run() throws {
        let signals = Signals.blockTermination()
        try responder.start()
        let purger = try spawnThread { [self] in purgeLoop() }
        var listener: pthread_t?
        if let cache = services.cache, case .postgres(let uri) = services.config.database {
            let changes = ChangeListener(uri: uri, cache: cache, logger: logger)
            listener = try spawnThread { [self] in changes.run(until: stopping) }
        }
        logger.info(
            "authgate serving",
            metadata: [
                "threads": "\(services.config.threads)", "kdf.threads": "\(responder.kdfThreads)",
                "kdf.wait.seconds": "\(responder.kdfDeadline)", "database": "\(services.config.database)"
            ])
        Supervisor.notifyReady()
        // The start-up lines now, not within the second: whoever waits for
        // "listening" (a supervisor, a test harness) sees it at once.
        LogBuffer.shared.flush()

        let signal = Signals.wait(signals)
        logger.info("draining", metadata: ["signal": "\(signal)"])
        stopping.set()
        responder.drain()
        pthread_join(purger, nil)
        if let listener { pthread_join(listener, nil) }
        logger.info("stopped")
    }

    /// Login-failure windows that started before this are over and may be
    /// deleted; nil when the throttle is off: this responder does not know
    /// the window of responders that have it on, so it leaves their rows
    /// alone (docs/login-protection.md: responders share throttle settings).
    /// Rows of windows closed for this responder's throttle and for the
    /// second-factor limit (the table holds both): whichever window is
    /// longer. None with the throttle off: other responders may have it on
    /// with a longer window (the second-factor rows then stay until a
    /// success clears them; a closed window restarts when counted again).
    static func loginFailureCutoff(_ config: Config, now: Double) -> Double? {
        guard let throttle = config.loginThrottle?.windowCutoff(now: now) else { return nil }
        return min(throttle, SecondFactorLimit.settings.windowCutoff(now: now))
    }

    private func purgeLoop() {
        var store: (any UserStore)?
        var nextRun = 0.0
        while !stopping.isSet {
            services.passwords.releaseIdleBuffers()
            responder.endIdleKDFHelpers()
            let now = Clock.system.now()
            if now >= nextRun {
                nextRun = now + Double(Server.purgeIntervalSeconds)
                do {
                    if store == nil { store = try services.openStore(logger: logger) }
                    let cutoff = now - Double(services.config.leeway)
                    let removed = try store?.purgeRevocations(expiredBefore: cutoff) ?? 0
                    let families = try store?.purgeRevokedFamilies(expiredBefore: cutoff) ?? 0
                    logger.debug(
                        "purged expired revocations", metadata: ["rows": "\(removed)", "families": "\(families)"])
                    if let cutoff = Server.loginFailureCutoff(services.config, now: now) {
                        let failures = try store?.purgeLoginFailures(windowStartedBefore: cutoff) ?? 0
                        logger.debug("purged closed login-failure windows", metadata: ["rows": "\(failures)"])
                    }
                } catch {
                    logger.warning("purge failed", metadata: ["error": "\(error)"])
                }
            }
            // A tick of 200 ms (idle scrypt buffers and KDF helpers are checked each one); a stop ends it at once.
            stopping.wait(upTo: 0.2)
        }
    }
}
