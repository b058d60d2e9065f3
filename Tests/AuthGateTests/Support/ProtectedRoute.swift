import Testing
@testable import AuthGateCore
@testable import AuthGateHTTP

/// A route that takes a bearer token, with the token type that succeeds on
/// it (logout takes either; access is used for it).
struct ProtectedRoute: Sendable, CustomTestStringConvertible {
    let method: String
    let path: String
    let kind: Claims.Kind

    var testDescription: String { "\(method) \(path)" }

    static let accessRoutes = [
        ProtectedRoute(method: "GET", path: "/auth/whoami", kind: .access),
        ProtectedRoute(method: "GET", path: "/api/auth/whoami", kind: .access),
        ProtectedRoute(method: "GET", path: "/api/users/all", kind: .access),
        ProtectedRoute(method: "GET", path: "/auth/verify", kind: .access),
        ProtectedRoute(method: "GET", path: "/api/auth/verify", kind: .access)
    ]
    static let refreshRoutes = [
        ProtectedRoute(method: "GET", path: "/auth/refresh", kind: .refresh),
        ProtectedRoute(method: "POST", path: "/api/auth/refresh", kind: .refresh)
    ]
    static let eitherRoutes = [
        ProtectedRoute(method: "GET", path: "/auth/logout", kind: .access),
        ProtectedRoute(method: "POST", path: "/api/auth/logout", kind: .access)
    ]
    static let all = accessRoutes + refreshRoutes + eitherRoutes
}

extension TestApp {
    /// `route` called with `authorization` as the whole header value (nil: no header).
    func call(_ route: ProtectedRoute, authorization: String?) -> Response {
        send(
            Request(
                method: route.method, path: route.path,
                headers: authorization.map { ["authorization": $0] } ?? [:]))
    }

    func call(_ route: ProtectedRoute, token: String) -> Response { call(route, authorization: "Bearer \(token)") }
}
