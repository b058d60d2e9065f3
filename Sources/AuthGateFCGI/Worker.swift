import Glibc
import Logging
import Synchronization
import AuthGateCore
import AuthGateHTTP

/// One worker thread's loop: its own `FCGX_Request`, its own database
/// connection, one request at a time. Requests that derive a key go to
/// the KDF pool with their connection, and the worker takes a new slot.
final class Worker: Sendable {
    let index: Int
    let state = Mutex(WorkerState.working)

    init(index: Int) { self.index = index }

    func run(acceptor: Acceptor, pool: KDFPool, services: Services, stopping: StopFlag, logger: Logger) {
        defer { state.withLock { $0 = .stopped } }
        let context: Context
        do {
            context = try services.makeContext(logger: logger)
        } catch {
            logger.critical("worker cannot open the database", metadata: ["worker": "\(index)", "error": "\(error)"])
            return
        }
        var connection = FCGIRequest()
        var served = 0
        while !stopping.isSet {
            if let kept = connection.keptConnection {
                guard acceptor.wait(for: kept) == .readable else { connection.closeConnection(); break }
            } else {
                guard acceptor.wait(for: acceptor.listenFD) == .readable, !stopping.isSet else { break }
                state.withLock { $0 = .accepting }
                let fd = acceptor.accept()
                state.withLock { $0 = .working }
                guard let fd else { continue }
                connection.adopt(connection: fd)
            }
            guard connection.readNext() else { continue }
            served += 1
            switch handle(connection, context: context, pool: pool, served: served, logger: logger) {
            case .answer(let response):
                connection.send(response)
            case .handedOff:
                connection = FCGIRequest()
            }
        }
    }

    private enum Outcome { case answer(Response), handedOff }

    /// `served` numbers the request in the log (`worker-served`) when nginx
    /// sent no `REQUEST_ID`; that name is built only then.
    private func handle(_ fcgi: FCGIRequest, context: Context, pool: KDFPool, served: Int, logger: Logger) -> Outcome {
        let head = RequestHead(param: fcgi.param, fallbackID: { "\(self.index)-\(served)" }, logger: logger)
        var request = head.request
        let handler: Handler
        do {
            handler = try head.handler()
        } catch {
            // HEAD answers keep their head only; the Dispatcher knows how.
            return .answer(Dispatcher.errorResponse(for: error, to: request))
        }
        // The body is read once the route is known to take one.
        request.body = fcgi.readBody(limit: head.bodyLimit)
        if KDFPool.handles(method: request.method, path: request.path) {
            let job = KDFPool.Job(connection: fcgi, request: request, handler: handler, queuedAt: Clock.monotonic())
            switch pool.submit(job, logger: logger) {
            case .queued: return .handedOff
            case .overloaded(let error):
                return .answer(Dispatcher.errorResponse(for: error, to: request))
            }
        }
        pool.noteRead()
        return .answer(Dispatcher.respond(to: request, with: handler, context: context))
    }
}
