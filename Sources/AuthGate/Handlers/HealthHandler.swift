/// GET /healthz: pings the database; 503 while it is down, 200 again once
/// it is back (the store reconnects on the next call).
enum HealthHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        do {
            try context.store.ping()
            return .json(200, [("status", .string("ok")), ("database", .string("ok"))])
        } catch StoreError.unavailable(let reason) {
            context.logger.warning("health check: database unreachable",
                                   metadata: ["request.id": "\(request.id)", "error": "\(reason)"])
            return .json(503, [("status", .string("unavailable")), ("database", .string("unreachable")),
                               ("error", .string("Service unavailable"))])
        }
    }
}
