import Logging
import AuthGateHTTP

/// What a request's FastCGI parameters say, before its body is read: the
/// `Request` nginx's params make (method, path, query, the two headers
/// AuthGate reads, id, client address) and the body length it declared.
/// Kept apart from libfcgi so the fuzz target (Fuzz/, docs/fuzzing.md)
/// runs this very code on made-up parameters.
package struct RequestHead {
    /// The request without its body.
    package var request: Request
    /// CONTENT_LENGTH as sent; nil when absent or not a number.
    package let declaredLength: Int?

    /// `param` looks a parameter up as libfcgi does (`FCGX_GetParam`);
    /// `fallbackID` names the request when nginx sent no well-formed
    /// `REQUEST_ID`, built only then. `selection`: the further headers the
    /// configuration needs (cookies, CSRF headers, the forward-auth
    /// recipe's original method and URI), looked up only when configured.
    package init(
        param: (String) -> String?, fallbackID: () -> String, selection: HeaderSelection = .none,
        logger: Logger
    ) {
        let method = param("REQUEST_METHOD") ?? "GET"
        let path =
            param("DOCUMENT_URI")
            ?? param("REQUEST_URI").map { String($0.prefix { $0 != "?" }) } ?? "/"
        declaredLength = param("CONTENT_LENGTH").flatMap { Int($0) }
        var headers: [String: String] = [:]
        if let v = param("HTTP_AUTHORIZATION") { headers["authorization"] = v }
        if let v = param("CONTENT_TYPE"), !v.isEmpty { headers["content-type"] = v }
        // Made before the route checks, so even a 404 logs with the request's id.
        request = Request(
            method: method, path: path, queryString: param("QUERY_STRING") ?? "",
            headers: headers, id: RequestID.choose(param("REQUEST_ID"), otherwise: fallbackID), logger: logger)
        request.remoteAddress = param("REMOTE_ADDR") ?? ""
        for (name, key) in selection.headers {
            if let v = param(name) { request.headers[key] = v }
        }
    }

    /// The route's handler, with the parameters it declares copied into
    /// the request. 404 (a path that does not exist, or whose gate
    /// `param` does not meet), 405 and 413 are decided here, before a byte
    /// of the body is read; what this throws is answered by
    /// `Dispatcher.errorResponse(for:to:)`.
    package mutating func route(param: (String) -> String?) throws -> Route {
        let route = try Dispatcher.checkBeforeBody(
            method: request.method, path: request.path, declaredLength: declaredLength, parameter: param)
        for name in route.parameters {
            if let v = param(name) { request.parameters[name] = v }
        }
        return route
    }

    /// How many body bytes to read. nginx buffers every body (chunked ones
    /// too) and always sends its length; one byte past the cap tells a
    /// too-long body from one exactly at it.
    package var bodyLimit: Int { min(max(declaredLength ?? 0, 0), Dispatcher.maxBodyBytes + 1) }
}
