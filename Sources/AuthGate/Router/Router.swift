/// A handler answers one route. It sees no C type; it throws for every
/// error and `ErrorResponse` turns that into the contract's JSON.
public typealias Handler = @Sendable (Request, Context) throws -> Response

/// One row of the route table.
public struct Route: Sendable {
    public var method: String
    public var path: String
    public var handler: Handler
}

/// Exact-path routing over a table of rows: an unknown path is 404, a
/// known path with another method 405 with `Allow`.
public struct Router: Sendable {
    private let byPath: [String: [(path: String, method: String, handler: Handler)]]

    public init(_ routes: [Route]) {
        var table: [String: [(path: String, method: String, handler: Handler)]] = [:]
        for route in routes { table[route.path, default: []].append((route.path, route.method, route.handler)) }
        byPath = table
    }

    public func handler(method: String, path: String) throws(APIError) -> Handler {
        // String == is canonical equivalence; a path must match byte for byte.
        guard let rows = byPath[path], let first = rows.first,
              first.path.utf8.elementsEqual(path.utf8) else { throw .notFound }
        guard let row = rows.first(where: { $0.method == method }) else {
            throw .methodNotAllowed(allow: rows.map(\.method))
        }
        return row.handler
    }
}
