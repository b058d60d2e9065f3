import Dispatch
import Glibc
import Logging
import Synchronization
import AuthGateCore
import AuthGateHTTP

/// The 503 a login or registration gets when the key-derivation queue is
/// full is held back `holdSeconds` before it is sent. Answered at once, a
/// client that retries at once (a password-guessing flood) turns each of
/// its connections into thousands of requests a second, and answering them
/// takes the CPU that reads need; held, each connection costs one request a
/// second. Held answers take no worker and no CPU: one thread sends them
/// when due, in the order they came (every hold is as long). Bounded:
/// past `maxHeld` an answer is sent at once; the drain sends all at once.
final class HeldAnswers: Sendable {
    /// Well under `Retry-After` (at least 1 s) and nginx's read timeout.
    static let holdSeconds = 1.0
    /// Each holds a connection (a descriptor).
    static let maxHeld = 512

    private struct Held {
        let connection: FCGIRequest
        let request: Request
        let response: Response
        let arrived: Double
        let due: Double
    }

    private let queue = Locked<[Held]>([])
    /// One signal per queued answer, and one to stop.
    private let available = DispatchSemaphore(value: 0)
    private let sendingNow = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let park: ConnectionPark

    init(park: ConnectionPark) { self.park = park }

    /// Answers held now.
    var count: Int { queue.withLock { $0.count } }

    /// Holds `response` to `request`; false when as many as `maxHeld` are
    /// held already, or the drain began (the caller answers at once).
    func hold(_ response: Response, to request: Request, on connection: FCGIRequest, arrived: Double) -> Bool {
        let now = Clock.monotonic()
        let held = queue.withLock { queue -> Bool in
            guard queue.count < Self.maxHeld, !sendingNow.load(ordering: .relaxed) else { return false }
            queue.append(
                Held(
                    connection: connection, request: request, response: response, arrived: arrived,
                    due: now + Self.holdSeconds))
            return true
        }
        if held { available.signal() }
        return held
    }

    /// Starts the thread that sends held answers when due.
    func start(services: Services, metrics: ServiceMetrics, logger: Logger) throws -> pthread_t {
        try spawnThread { [self] in
            var observer = RequestObserver(metrics: metrics, logger: logger, requestLines: services.config.requestLog)
            while true {
                available.wait()
                guard let held = nextWhenDue() else {
                    if stopped.load(ordering: .relaxed) { return }
                    continue
                }
                park.answer(held.response, on: held.connection)
                observer.finished(held.request, held.response, seconds: Clock.monotonic() - held.arrived)
            }
        }
    }

    /// The drain: everything held is sent now, and nothing more is held.
    func sendAllNow() {
        sendingNow.store(true, ordering: .relaxed)
    }

    /// Lets the thread exit (once nothing is held).
    func stop() {
        stopped.store(true, ordering: .relaxed)
        available.signal()
    }

    /// The oldest held answer once it is due (at once after `sendAllNow`);
    /// nil when nothing is held. Sleeps in short steps so that the drain
    /// is never kept waiting for a hold to end.
    private func nextWhenDue() -> Held? {
        while true {
            guard let due = queue.withLock({ $0.first?.due }) else { return nil }
            let wait = due - Clock.monotonic()
            if wait <= 0 || sendingNow.load(ordering: .relaxed) {
                return queue.withLock { $0.removeFirst() }
            }
            usleep(useconds_t(min(wait, 0.05) * 1e6))
        }
    }
}
