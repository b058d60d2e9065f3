/// The `route` of a request in metrics and log lines: a path of the route
/// table, `/metrics`, or `unmatched`. Never the client's own path, so the
/// label has a small fixed set of values whatever clients send.
package enum RouteLabel {
    package static let unmatched = "unmatched"

    /// Every label, by index: the table's paths in table order, then the
    /// metrics endpoint, then `unmatched`.
    package static let all: [String] = {
        var paths: [String] = []
        for route in Routes.table where !paths.contains(route.path) { paths.append(route.path) }
        return paths + [MetricsEndpoint.path, unmatched]
    }()

    package static let metricsIndex = all.count - 2
    package static let unmatchedIndex = all.count - 1

    private static let indexByPath: [String: Int] = {
        var index: [String: Int] = [:]
        for (i, path) in all.enumerated() where i < metricsIndex { index[path] = i }
        return index
    }()

    /// The label index of a request for `path` that the route table answers
    /// (the metrics endpoint is labelled by whoever serves it).
    package static func index(of path: String) -> Int {
        // String == is canonical equivalence; a path must match byte for byte.
        guard let i = indexByPath[path], all[i].utf8.elementsEqual(path.utf8) else { return unmatchedIndex }
        return i
    }

    /// What the route is for the audit log.
    package enum Purpose { case register, login, logout, other }

    package static let purposes: [Purpose] = all.map { label in
        guard Routes.authPrefixes.contains(where: { label.hasPrefix($0 + "/") }) else { return .other }
        if label.hasSuffix("/register") { return .register }
        if label.hasSuffix("/login") { return .login }
        if label.hasSuffix("/logout") { return .logout }
        return .other
    }
}
