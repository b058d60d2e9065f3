/// GET /livez: the process serves requests. It touches no database, so a
/// database outage never gets a live responder restarted (`/healthz` is
/// the readiness check that does ping it).
enum LivenessHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        .json(200, [("status", .string("ok"))])
    }
}
