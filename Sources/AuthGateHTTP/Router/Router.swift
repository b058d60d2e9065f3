import AuthGateCore
/// A handler answers one route. It sees no C type; it throws for every
/// error and `ErrorResponse` turns that into the contract's JSON.
public typealias Handler = @Sendable (Request, Context) throws -> Response

/// Exact-path routing over a table of rows, answering as Flask routes:
/// an unknown path is 404 whatever the method; HEAD runs a path's GET
/// handler (the dispatcher drops the body); OPTIONS answers 200 with
/// `Allow`; any other method the path lacks is 405 with `Allow`.
public struct Router: Sendable {
    private struct Entry: Sendable {
        var path: String
        var routes: [Route]
        /// What `Allow` lists: the table's methods in table order, HEAD
        /// right after GET, OPTIONS last. Flask lists the same set in hash
        /// order, which changes from process to process.
        var allow: [String]
    }

    private let byPath: [String: Entry]

    public init(_ routes: [Route]) {
        var table: [String: Entry] = [:]
        for route in routes {
            table[route.path, default: Entry(path: route.path, routes: [], allow: [])].routes.append(route)
        }
        // The gate belongs to the path: one row of it gated and another not
        // would make the path exist for some methods only.
        for entry in table.values {
            precondition(
                Set(entry.routes.map { $0.gate.map { "\($0.parameter)=\($0.value)" } ?? "" }).count == 1,
                "the rows of \(entry.path) disagree on their gate")
        }
        for (path, entry) in table { table[path]?.allow = Router.allowList(entry.routes.map(\.method)) }
        byPath = table
    }

    static func allowList(_ methods: [String]) -> [String] {
        var allow: [String] = []
        for method in methods where !allow.contains(method) && method != "OPTIONS" {
            allow.append(method)
            if method == "GET", !methods.contains("HEAD") { allow.append("HEAD") }
        }
        allow.append("OPTIONS")
        return allow
    }

    /// The row that answers `method` on `path` (HEAD: the GET row; OPTIONS:
    /// a row answering `Allow`). `parameter` looks up the request's FastCGI
    /// parameters: a path whose rows have a `gate` exists only when it is met.
    public func route(
        method: String, path: String, parameter: (String) -> String? = { _ in nil }
    ) throws(APIError) -> Route {
        // String == is canonical equivalence; a path must match byte for byte.
        guard let entry = byPath[path], entry.path.utf8.elementsEqual(path.utf8) else { throw .notFound }
        if let gate = entry.routes.first?.gate, parameter(gate.parameter) != gate.value { throw .notFound }
        if let row = entry.routes.first(where: { $0.method == method }) { return row }
        if method == "HEAD", let get = entry.routes.first(where: { $0.method == "GET" }) { return get }
        if method == "OPTIONS" {
            let allow = entry.allow.joined(separator: ", ")
            return Route(
                method: method, path: path,
                handler: { _, _ in
                    Response(status: 200, headers: [("Allow", allow)], body: [])
                })
        }
        throw .methodNotAllowed(allow: entry.allow)
    }

    public func handler(method: String, path: String) throws(APIError) -> Handler {
        try route(method: method, path: path).handler
    }
}
