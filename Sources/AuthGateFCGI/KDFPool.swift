internal import CSystem
import Dispatch
import Glibc
import CoreMetrics
import Logging
import Synchronization
import AuthGateCore
import AuthGateHTTP

/// Runs the requests that derive a key (the routes of the `keyDerivation`
/// lane: login, register, the sign-in form) on threads of
/// their own, one per usable core, each deriving in its helper process
/// (`KDFHelper`), so the worker threads that serve reads
/// are never held by scrypt: a worker reads such a request, hands its
/// connection here and goes back to accepting. Waiting is bounded: a
/// request that would wait past `deadline` is answered 503 with
/// `Retry-After` at once, and one that waited too long anyway (the cost
/// estimate was low) gets the same answer when its turn comes.
final class KDFPool: Sendable {
    struct Job: Sendable {
        let connection: FCGIRequest
        let request: Request
        let route: Route
        let queuedAt: Double
    }

    enum Admission { case queued, overloaded(APIError) }

    let threads: Int
    /// The longest a request may wait for its derivation, in seconds.
    let deadline: Double
    /// Queued requests each hold a connection (a file descriptor); this
    /// caps them whatever the cost estimate says.
    static let maxQueued = 512

    private let queue = Locked<[Job]>([])
    private let available = DispatchSemaphore(value: 0)
    /// Queued plus running.
    private let pending = Atomic<Int>(0)
    /// Moving average of one job's wall time, in microseconds.
    private let averageMicros: Atomic<Int>
    /// How busy the workers' own requests keep them.
    private let reads = ReadActivity()
    /// Derivations running now; `claimSlot` waits on it for a free turn.
    private let deriving = LockedCondition<Int>(0)
    /// While reads are served, the oldest waiting job derives next.
    private let turns = KDFTurns()
    /// Each thread's helper process.
    private let helpers = Locked<[KDFHelper]>([])
    /// Read once here, in the starting thread: `Supervisor.notifyReady`
    /// changes the environment later, while KDF threads may be starting helpers.
    private let helperEnvironment = KDFHelper.passedEnvironment()
    private let throttledSinceLog = Atomic<Int>(0)
    /// One "queue full" line a second (monotonic seconds).
    private let throttleLog = OncePerInterval(1)
    let metrics: ServiceMetrics
    /// Where a connection goes back after its answer.
    private let park: ConnectionPark
    /// `authgate_kdf_rejections_total{reason}`: refused at admission
    /// (`queue_full`: the estimated wait was past the deadline, or 512 were
    /// pending) or when its turn came too late (`deadline`).
    private let rejectedAtAdmission: Counter
    private let rejectedAtDeadline: Counter

    init(threads: Int, deadline: Double, initialCost: Double, park: ConnectionPark, metrics: ServiceMetrics = .disabled)
    {
        self.threads = max(1, threads)
        self.park = park
        self.deadline = deadline
        self.averageMicros = Atomic(max(1_000, Int(initialCost * 1e6)))
        self.metrics = metrics
        rejectedAtAdmission = metrics.counter("authgate_kdf_rejections_total", [("reason", "queue_full")])
        rejectedAtDeadline = metrics.counter("authgate_kdf_rejections_total", [("reason", "deadline")])
    }

    var pendingCount: Int { pending.load(ordering: .relaxed) }
    /// Derivations running now.
    var derivingCount: Int { deriving.withLock { $0 } }

    /// While reads are busy (`ReadActivity`), one derivation runs at a time
    /// and uses at most this share of a core, so the rest stays free for
    /// nginx and the workers: a derivation holds a core for ~90 ms, and
    /// each one is a step in the reads' tail latency (measured with
    /// `BENCH_ONLY=flood make bench`: at 0.5, p99 53-76 ms under a
    /// 64-connection flood; at 0.25, 36-74 ms over four runs; both before
    /// derivations moved to `KDFHelper`'s processes). With few or no reads,
    /// every KDF thread runs flat out.
    static let shareWhileReading = 0.25

    /// Called by a worker for every request it answers itself.
    func noteRead() {
        reads.noteRead(nowMilliseconds: Int(Clock.monotonic() * 1000))
    }

    private var readsActive: Bool {
        reads.isBusy(nowMilliseconds: Int(Clock.monotonic() * 1000))
    }

    /// Waits until this thread may derive: at once with no reads, else
    /// once no other derivation runs and no older job waits.
    /// Gives up the turn rule once `giveUpAt` (monotonic seconds) passes:
    /// the job's deadline is then checked and answered 503, never left waiting.
    private func claimSlot(queuedAt: Double, giveUpAt: Double) {
        turns.enter(queuedAt: queuedAt)
        defer {
            turns.leave(queuedAt: queuedAt)
            // The next oldest job may be the one whose turn it is now.
            deriving.wakeAll()
        }
        deriving.wait { running -> LockedCondition<Int>.Step<Void> in
            let now = Clock.monotonic()
            let nowMilliseconds = Int(now * 1000)
            if (running == 0 && turns.isOldest(queuedAt: queuedAt))
                || !reads.isBusy(nowMilliseconds: nowMilliseconds) || now > giveUpAt
            {
                running += 1
                return .done(())
            }
            // A finished derivation or a job leaving the turns wakes this
            // wait, but nothing signals reads going quiet: "busy" is a
            // count over time (`ReadActivity`). So look again when it can
            // next turn false (a window boundary, never more than a window
            // away), or just past `giveUpAt`, whichever comes first.
            let quietAt = Double(reads.mayGoQuiet(nowMilliseconds: nowMilliseconds) + 1) / 1000
            let window = Double(ReadActivity.windowMilliseconds) / 1000
            return .waitUntil(min(giveUpAt + 0.001, quietAt, now + window))
        }
    }

    /// After a derivation that took `cpu` seconds, the pause that keeps this
    /// thread to `shareWhileReading` of a core while reads are served.
    static func pause(afterCPU cpu: Double, readsActive: Bool) -> Double {
        guard readsActive else { return 0 }
        return min(1, cpu * (1 / shareWhileReading - 1))
    }

    /// Seconds a new job would wait before a thread takes it.
    private func expectedWait(pending: Int) -> Double {
        KDFPool.expectedWait(
            pending: pending, averageSeconds: Double(averageMicros.load(ordering: .relaxed)) / 1e6,
            threads: threads)
    }

    static func expectedWait(pending: Int, averageSeconds: Double, threads: Int) -> Double {
        Double(pending) * averageSeconds / Double(max(1, threads))
    }

    /// Whether a job with `pending` ahead of it may queue: it must be able to
    /// start before the deadline, and the queue stays under its cap.
    static func admits(pending: Int, expectedWait: Double, deadline: Double) -> Bool {
        pending < maxQueued && expectedWait <= deadline
    }

    /// Queues `job`, or refuses it when it could not start before the deadline.
    func submit(_ job: Job, logger: Logger) -> Admission {
        let ahead = pending.load(ordering: .relaxed)
        let wait = expectedWait(pending: ahead)
        guard KDFPool.admits(pending: ahead, expectedWait: wait, deadline: deadline) else {
            rejectedAtAdmission.increment()
            noteThrottled(logger: logger)
            return .overloaded(.overloaded(retryAfter: KDFPool.retryAfter(wait)))
        }
        pending.add(1, ordering: .relaxed)
        queue.withLock { $0.append(job) }
        available.signal()
        return .queued
    }

    /// Whole seconds from 1 to 30; clamped before converting, so no wait
    /// (however large, or NaN) can trap.
    static func retryAfter(_ wait: Double) -> Int {
        guard wait.isFinite else { return 30 }
        return Int(min(30, max(1, wait.rounded(.up))))
    }

    /// Starts the pool's threads; each opens its own store on first use.
    func start(services: Services, logger: Logger) throws -> [pthread_t] {
        try (0..<threads).map { _ in
            try spawnThread { [self] in runThread(services: services, logger: logger) }
        }
    }

    /// Ends the helper processes that derived nothing for a while, and
    /// reaps those that exited.
    func endIdleHelpers() {
        for helper in helpers.withLock({ $0 }) { helper.endIfIdleOrExited() }
    }

    /// Lets the threads exit once the queue is empty. Call after the
    /// workers stopped submitting.
    func stop() {
        for _ in 0..<threads { available.signal() }
    }

    private func runThread(services: Services, logger: Logger) {
        // Reads come first: within this process the workers win the CPU.
        _ = authgate_nice_this_thread(10)
        let helper = KDFHelper(environment: helperEnvironment, logger: logger)
        helpers.withLock { $0.append(helper) }
        defer { helper.stop() }
        var context: Context?
        var observer = RequestObserver(metrics: metrics, logger: logger, requestLines: services.config.requestLog)
        while true {
            available.wait()
            guard let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return }
            let started = Clock.monotonic()
            claimSlot(queuedAt: job.queuedAt, giveUpAt: job.queuedAt + deadline)
            defer { deriving.update { $0 -= 1 } }
            let startedCPU = KDFPool.threadCPU() + helper.cpuSeconds
            let response: Response
            if Clock.monotonic() - job.queuedAt > deadline {
                rejectedAtDeadline.increment()
                noteThrottled(logger: logger)
                let wait = expectedWait(pending: pending.load(ordering: .relaxed))
                response = Dispatcher.errorResponse(
                    for: APIError.overloaded(retryAfter: KDFPool.retryAfter(wait)),
                    to: job.request)
            } else {
                do {
                    let opened = try context ?? services.makeContext(logger: logger, deriver: helper)
                    context = opened
                    response = Dispatcher.respond(to: job.request, with: job.route, context: opened)
                } catch {
                    response = Dispatcher.errorResponse(for: error, to: job.request)
                }
            }
            park.answer(response, on: job.connection)
            pending.subtract(1, ordering: .relaxed)
            observer.finished(job.request, response, seconds: Clock.monotonic() - job.queuedAt)
            let cpu = KDFPool.threadCPU() + helper.cpuSeconds - startedCPU
            let pause = KDFPool.pause(afterCPU: cpu, readsActive: readsActive)
            if pause > 0 { usleep(useconds_t(pause * 1e6)) }
            // What the next job in the queue waits for this one, pause included.
            record(cost: Clock.monotonic() - started)
        }
    }

    /// CPU seconds the calling thread has used.
    private static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func record(cost: Double) {
        let sample = Int(cost * 1e6)
        let old = averageMicros.load(ordering: .relaxed)
        averageMicros.store(max(1_000, (old * 4 + sample) / 5), ordering: .relaxed)
    }

    /// One warning a second at most, with the count: a flood must not
    /// become a log flood.
    private func noteThrottled(logger: Logger) {
        let count = throttledSinceLog.add(1, ordering: .relaxed).newValue
        guard throttleLog.claim(now: Int(Clock.monotonic())) else { return }
        throttledSinceLog.subtract(count, ordering: .relaxed)
        logger.warning("key derivation queue full: answered 503", metadata: ["requests": "\(count)"])
    }
}
