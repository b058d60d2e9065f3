import Logging
import Synchronization

/// What a worker thread is doing, so the drain knows whom it may interrupt.
enum WorkerState: Sendable {
    /// In `FCGX_Accept_r`: waiting on the listener or on a kept connection.
    case waiting
    /// Reading, handling or answering a request: never interrupted.
    case busy
    case stopped
}

/// One worker thread's loop: its own `FCGX_Request`, its own database
/// connection, one request at a time.
final class Worker: Sendable {
    let index: Int
    let state = Mutex(WorkerState.busy)

    init(index: Int) { self.index = index }

    func run(listenFD: Int32, services: Services, stopping: StopFlag, logger: Logger) {
        defer { state.withLock { $0 = .stopped } }
        let store: UserStore
        do {
            store = try services.openStore(logger: logger)
        } catch {
            logger.critical("worker cannot open the database", metadata: ["worker": "\(index)", "error": "\(error)"])
            return
        }
        let context = Context(services: services, store: store, logger: logger)
        let request = FCGIRequest(listenFD: listenFD)
        var served = 0
        while !stopping.isSet {
            state.withLock { $0 = .waiting }
            guard request.accept() else { continue }
            state.withLock { $0 = .busy }
            served += 1
            let response = handle(request, context: context, id: "\(index)-\(served)")
            request.write(response.serialized())
            request.finish()
        }
    }

    private func handle(_ fcgi: FCGIRequest, context: Context, id: String) -> Response {
        let method = fcgi.param("REQUEST_METHOD") ?? "GET"
        let path = fcgi.param("DOCUMENT_URI")
            ?? fcgi.param("REQUEST_URI").map { String($0.prefix { $0 != "?" }) } ?? "/"
        let declared = fcgi.param("CONTENT_LENGTH").flatMap { Int($0) }
        let requestID = fcgi.param("REQUEST_ID") ?? id
        let handler: Handler
        do {
            // 404/405/413 are decided before a byte of the body is read.
            handler = try Dispatcher.checkBeforeBody(method: method, path: path, declaredLength: declared)
        } catch {
            return ErrorResponse.response(for: error, requestID: requestID, logger: context.logger)
        }
        // nginx buffers every body (chunked ones too) and always sends its
        // length. One byte past the cap tells a too-long body from one exactly at it.
        let body = fcgi.readBody(limit: min(max(declared ?? 0, 0), Dispatcher.maxBodyBytes + 1))
        var headers: [String: String] = [:]
        if let v = fcgi.param("HTTP_AUTHORIZATION") { headers["authorization"] = v }
        if let v = fcgi.param("CONTENT_TYPE"), !v.isEmpty { headers["content-type"] = v }
        let request = Request(method: method, path: path, queryString: fcgi.param("QUERY_STRING") ?? "",
                              headers: headers, body: body, id: requestID)
        return Dispatcher.respond(to: request, with: handler, context: context)
    }
}

/// Set once when the drain starts; read by every thread.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
