import Testing
import AuthGateCore
import AuthGateHTTP

/// A route that takes a bearer token, with the token type that succeeds on
/// it (logout takes either; access is used for it).
package struct ProtectedRoute: Sendable, CustomTestStringConvertible {
    package let method: String
    package let path: String
    package let kind: Claims.Kind

    package var testDescription: String { "\(method) \(path)" }

    package static let accessRoutes = [
        ProtectedRoute(method: "GET", path: "/auth/whoami", kind: .access),
        ProtectedRoute(method: "GET", path: "/api/auth/whoami", kind: .access),
        ProtectedRoute(method: "GET", path: "/api/users/all", kind: .access),
        ProtectedRoute(method: "GET", path: "/auth/verify", kind: .access),
        ProtectedRoute(method: "GET", path: "/api/auth/verify", kind: .access)
    ]
    package static let refreshRoutes = [
        ProtectedRoute(method: "GET", path: "/auth/refresh", kind: .refresh),
        ProtectedRoute(method: "POST", path: "/api/auth/refresh", kind: .refresh)
    ]
    package static let eitherRoutes = [
        ProtectedRoute(method: "GET", path: "/auth/logout", kind: .access),
        ProtectedRoute(method: "POST", path: "/api/auth/logout", kind: .access)
    ]
    package static let all = accessRoutes + refreshRoutes + eitherRoutes
}

extension TestApp {
    /// `route` called with `authorization` as the whole header value (nil: no header).
    package func call(_ route: ProtectedRoute, authorization: String?) -> Response {
        send(
            Request(
                method: route.method, path: route.path,
                headers: authorization.map { ["authorization": $0] } ?? [:]))
    }

    package func call(_ route: ProtectedRoute, token: String) -> Response {
        call(route, authorization: "Bearer \(token)")
    }
}
