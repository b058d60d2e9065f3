/// The `route` of a request in metrics and log lines: a path of the route
/// table (`/metrics` among them), or `unmatched`. Never the client's own path, so the
/// label has a small fixed set of values whatever clients send.
package enum RouteLabel {
    package static let unmatched = "unmatched"

    /// Every label, by index: the table's paths in table order, then `unmatched`.
    package static let all: [String] = {
        var paths: [String] = []
        for route in Routes.table where !paths.contains(route.path) { paths.append(route.path) }
        return paths + [unmatched]
    }()

    package static let unmatchedIndex = all.count - 1

    private static let indexByPath: [String: Int] = {
        var index: [String: Int] = [:]
        for (i, path) in all.enumerated() where i < unmatchedIndex { index[path] = i }
        return index
    }()

    /// Each label's gate (`Route.gate`), by index; nil for most.
    private static let gates: [Route.Gate?] = all.map { label in Routes.table.first { $0.path == label }?.gate }

    /// The label index of `request`: its path's, unless that path is gated
    /// and the request did not pass the gate (then, as for nginx's public
    /// server, the path does not exist).
    package static func index(of request: Request) -> Int {
        let i = index(of: request.path)
        if let gate = gates[i], request.parameters[gate.parameter] != gate.value { return unmatchedIndex }
        return i
    }

    /// The label index of a request for `path`.
    package static func index(of path: String) -> Int {
        // String == is canonical equivalence; a path must match byte for byte.
        guard let i = indexByPath[path], all[i].utf8.elementsEqual(path.utf8) else { return unmatchedIndex }
        return i
    }

    /// What the route is for the audit log.
    package enum Purpose { case register, login, loginSecondStep, logout, other }

    package static let purposes: [Purpose] = all.map { label in
        guard Routes.authPrefixes.contains(where: { label.hasPrefix($0 + "/") }) else { return .other }
        if label.hasSuffix("/register") { return .register }
        if label.hasSuffix("/login") { return .login }
        if label.hasSuffix("/login/mfa") || label.hasSuffix("/login/passkey/finish") { return .loginSecondStep }
        if label.hasSuffix("/logout") { return .logout }
        return .other
    }
}
