import AuthGateCore

/// How any error without an answer of its own is answered: a generic 500
/// whose body tells the client nothing, and an error log line with the
/// details (and, through the request's logger, the request id).
package struct UnexpectedError: HTTPError {
    package let underlying: any Error

    package init(_ underlying: any Error) { self.underlying = underlying }

    package var httpStatus: Int { 500 }
    package var httpBody: [(String, JSONValue)] { [("error", .string("Internal server error"))] }
    package var logEntry: ErrorLogEntry? {
        ErrorLogEntry(level: .error, message: "unexpected error", detail: "\(underlying)")
    }
}
