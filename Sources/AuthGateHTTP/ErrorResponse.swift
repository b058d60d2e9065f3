import Logging
import AuthGateCore
import AuthGateStore

/// The one mapping from a thrown error to the contract's JSON response.
/// Handlers throw; only this file builds error bodies.
public enum ErrorResponse {
    public static func response(for error: Error, requestID: String, logger: Logger) -> Response {
        switch error {
        case let e as APIError:
            return .json(e.status, [("error", .string(e.message))],
                         headers: e.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        case let e as TokenError:
            return .json(401, [("message", .string(e.message)), ("error", .string(e.code))],
                         headers: [("WWW-Authenticate", "Bearer")])
        case StoreError.uniqueViolation:
            // Handlers resolve which field collided; one that escapes is a race on the username.
            return .json(409, [("error", .string(APIError.userExists.message))])
        case let StoreError.unavailable(reason):
            logger.warning("database unavailable", metadata: ["request.id": "\(requestID)", "error": "\(reason)"])
            return .json(503, [("error", .string("Service unavailable"))])
        default:
            logger.error("unexpected error", metadata: ["request.id": "\(requestID)", "error": "\(error)"])
            return .json(500, [("error", .string("Internal server error"))])
        }
    }
}
