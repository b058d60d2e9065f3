import AuthGateCore
/// GET /healthz: pings the database; 503 only while it is down. A
/// connection the server dropped (a restart) is replaced and the ping
/// retried once by the store, so a database that is up always answers 200.
enum HealthHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        do {
            try context.store.ping()
            return .json(200, [("status", .string("ok")), ("database", .string("ok"))])
        } catch StoreError.unavailable(let reason) {
            request.logger.warning("health check: database unreachable", metadata: ["error": "\(reason)"])
            return .json(
                503,
                [
                    ("status", .string("unavailable")), ("database", .string("unreachable")),
                    ("error", .string("Service unavailable"))
                ])
        }
    }
}
