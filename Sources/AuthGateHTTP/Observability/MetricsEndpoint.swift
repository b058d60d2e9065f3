import AuthGateCore

/// `GET /metrics`: the Prometheus exposition, answered only to a request
/// whose FastCGI parameters include `AUTHGATE_METRICS=1` (the row's gate). nginx.conf sets
/// that parameter in its loopback-only metrics server and nowhere else; a
/// client cannot set it (request headers reach AuthGate as `HTTP_*`), so on
/// the public server `/metrics` is an unknown path: 404 like any other.
public enum MetricsEndpoint {
    public static let path = "/metrics"
    public static let parameter = "AUTHGATE_METRICS"
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The route table's row (`Routes`) gates it on the parameter; the
    /// router answers HEAD, OPTIONS and 405 as for any path.
    public static func handle(_ request: Request, _ context: Context) -> Response {
        var response = Response(status: 200, body: context.metrics.exposition())
        response.contentType = contentType
        return response
    }
}
