import Glibc
import Logging
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

    /// What the sending thread waits on; every change wakes it.
    private struct State {
        var queue: [Held] = []
        /// The drain began: everything held is due now.
        var sendingNow = false
        var stopped = false
    }

    private let state = LockedCondition(State())
    private let park: ConnectionPark

    init(park: ConnectionPark) { self.park = park }

    /// Answers held now.
    var count: Int { state.withLock { $0.queue.count } }

    /// Holds `response` to `request`; false when as many as `maxHeld` are
    /// held already, or the drain began (the caller answers at once).
    func hold(_ response: Response, to request: Request, on connection: FCGIRequest, arrived: Double) -> Bool {
        let now = Clock.monotonic()
        return state.update { state -> Bool in
            guard state.queue.count < Self.maxHeld, !state.sendingNow else { return false }
            state.queue.append(
                Held(
                    connection: connection, request: request, response: response, arrived: arrived,
                    due: now + Self.holdSeconds))
            return true
        }
    }

    /// Starts the thread that sends held answers when due.
    func start(services: Services, metrics: ServiceMetrics, logger: Logger) throws -> pthread_t {
        try spawnThread { [self] in
            var observer = RequestObserver(metrics: metrics, logger: logger, requestLines: services.config.requestLog)
            while let held = nextWhenDue() {
                park.answer(held.response, on: held.connection)
                observer.finished(held.request, held.response, seconds: Clock.monotonic() - held.arrived)
            }
        }
    }

    /// The drain: everything held is sent now, and nothing more is held.
    func sendAllNow() {
        state.update { $0.sendingNow = true }
    }

    /// Lets the thread exit (once nothing is held).
    func stop() {
        state.update { $0.stopped = true }
    }

    /// The oldest held answer once it is due (at once after `sendAllNow`);
    /// nil once stopped with nothing held. Sleeps until the oldest answer
    /// is due, woken sooner by a new answer, the drain or the stop.
    private func nextWhenDue() -> Held? {
        state.wait { state -> LockedCondition<State>.Step<Held?> in
            let now = Clock.monotonic()
            if let first = state.queue.first {
                // Held in order, every hold as long: the first is due first.
                if first.due <= now || state.sendingNow { return .done(state.queue.removeFirst()) }
                return .waitUntil(first.due)
            }
            if state.stopped { return .done(nil) }
            // Nothing held: a new answer or the stop wakes it; the bound
            // only keeps the wait finite.
            return .waitUntil(now + Self.holdSeconds)
        }
    }
}
