/// A client error the contract answers with a fixed status and message.
public struct APIError: Error, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var headers: [String: String] = [:]

    public var description: String { "\(status) \(message)" }

    package init(status: Int, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public static let notFound = APIError(status: 404, message: "Not found")
    public static func methodNotAllowed(allow: [String]) -> APIError {
        APIError(status: 405, message: "Method not allowed", headers: ["Allow": allow.joined(separator: ", ")])
    }
    public static let payloadTooLarge = APIError(status: 413, message: "Request body too large")
    public static let unsupportedMediaType = APIError(status: 415, message: "Content-Type must be application/json")
    /// The same for a route that takes an HTML form.
    public static let unsupportedFormMediaType = APIError(
        status: 415,
        message: "Content-Type must be application/x-www-form-urlencoded")
    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, message: message) }
    public static let invalidCredentials = APIError(status: 400, message: "Invalid username or password")
    public static let userExists = APIError(status: 409, message: "User already exists")
    public static let emailExists = APIError(status: 409, message: "Email already registered")
}

extension APIError {
    /// Contract v1.1: a key derivation (login, register) would wait past
    /// its deadline. Answered at once, with when to try again.
    public static func overloaded(retryAfter seconds: Int) -> APIError {
        APIError(status: 503, message: "Service unavailable", headers: ["Retry-After": String(seconds)])
    }
}
