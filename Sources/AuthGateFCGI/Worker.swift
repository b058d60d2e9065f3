import Glibc
import Logging
import Synchronization
import AuthGateCore
import AuthGateHTTP

/// One worker thread's loop: its own `FCGX_Request`, its own database
/// connection, one request at a time, on whichever connection the
/// `ConnectionPark` has ready. Requests that derive a key go to the KDF
/// pool with their connection, and the worker takes a new slot.
final class Worker: Sendable {
    let index: Int
    let state = Locked(WorkerState.running)
    /// Serving a request now (for the drain, and the busy-threads gauge
    /// read at scrape time); an atomic of its own, not `state`'s lock, on
    /// the request path.
    let busy = Atomic<Bool>(false)

    init(index: Int) { self.index = index }

    func run(
        acceptor: Acceptor, park: ConnectionPark, pool: KDFPool, held: HeldAnswers, services: Services,
        metrics: ServiceMetrics, logger: Logger
    ) {
        defer { state.withLock { $0 = .stopped } }
        let context: Context
        do {
            context = try services.makeContext(logger: logger, metrics: metrics)
        } catch {
            logger.critical("worker cannot open the database", metadata: ["worker": "\(index)", "error": "\(error)"])
            return
        }
        var connection = FCGIRequest()
        var served = 0
        var observer = RequestObserver(metrics: metrics, logger: logger, requestLines: services.config.requestLog)
        while true {
            switch park.next() {
            case .draining:
                return
            case .listener:
                state.withLock { $0 = .accepting }
                let fd = acceptor.accept()
                state.withLock { $0 = .running }
                park.rearmListener()
                // Parked until nginx's first request arrives on it; served
                // now if the drain began meanwhile.
                guard let fd, !park.park(fd, accepted: true) else { continue }
                connection.adopt(connection: fd)
            case .connection(let fd):
                connection.adopt(connection: fd)
            }
            busy.store(true, ordering: .relaxed)
            defer { busy.store(false, ordering: .relaxed) }
            // False: nginx closed it, or sent garbage; it is closed.
            guard connection.readNext() else { continue }
            let started = Clock.monotonic()
            served += 1
            switch handle(connection, context: context, pool: pool, served: served, logger: logger) {
            case .overloaded(let request, let response)
            where held.hold(response, to: request, on: connection, arrived: started):
                connection = FCGIRequest()
            case .answer(let request, let response):
                park.answer(response, on: connection)
                observer.finished(request, response, seconds: Clock.monotonic() - started)
            case .overloaded(let request, let response):  // too many held already: now
                park.answer(response, on: connection)
                observer.finished(request, response, seconds: Clock.monotonic() - started)
            case .handedOff:
                // The KDF thread that answers it observes and parks it.
                connection = FCGIRequest()
            }
        }
    }

    /// `overloaded`: the 503 of a full key-derivation queue, held back
    /// (`HeldAnswers`) unless too many are held already.
    private enum Outcome { case answer(Request, Response), overloaded(Request, Response), handedOff }

    /// `served` numbers the request in the log (`worker-served`) when nginx
    /// sent no well-formed `REQUEST_ID`; that name is built only then.
    private func handle(
        _ fcgi: FCGIRequest, context: Context, pool: KDFPool, served: Int, logger: Logger
    ) -> Outcome {
        var head = RequestHead(
            param: fcgi.param, fallbackID: { "\(self.index)-\(served)" },
            selection: context.services.headerSelection, logger: logger)
        let route: Route
        do {
            route = try head.route(param: fcgi.param)
        } catch {
            // HEAD answers keep their head only; the Dispatcher knows how.
            return .answer(head.request, Dispatcher.errorResponse(for: error, to: head.request))
        }
        var request = head.request
        // The body is read once the route is known to take one.
        request.body = fcgi.readBody(limit: head.bodyLimit)
        if route.lane == .keyDerivation {
            let job = KDFPool.Job(connection: fcgi, request: request, route: route, queuedAt: Clock.monotonic())
            switch pool.submit(job, logger: logger) {
            case .queued: return .handedOff
            case .overloaded(let error):
                return .overloaded(request, Dispatcher.errorResponse(for: error, to: request))
            }
        }
        pool.noteRead()
        return .answer(request, Dispatcher.respond(to: request, with: route, context: context))
    }
}
