import AuthGateCore

/// `GET /metrics`: the Prometheus exposition, answered only to a request
/// whose FastCGI parameters include `AUTHGATE_METRICS=1`. nginx.conf sets
/// that parameter in its loopback-only metrics server and nowhere else; a
/// client cannot set it (request headers reach AuthGate as `HTTP_*`), so on
/// the public server `/metrics` is an unknown path: 404 like any other.
public enum MetricsEndpoint {
    public static let path = "/metrics"
    public static let parameter = "AUTHGATE_METRICS"
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func response(to request: Request, metrics: ServiceMetrics) -> Response {
        guard request.method == "GET" || request.method == "HEAD" else {
            return Dispatcher.errorResponse(for: APIError.methodNotAllowed(allow: ["GET", "HEAD"]), to: request)
        }
        var response = Response(status: 200, body: metrics.exposition())
        response.contentType = contentType
        return response.answering(request.method)
    }
}
