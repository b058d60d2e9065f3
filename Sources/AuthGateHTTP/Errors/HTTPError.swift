import AuthGateCore

/// An error that knows its own answer: the status, JSON body and headers
/// the contract gives it, and whether answering it is worth a log line.
/// `ErrorResponse` renders any error that conforms; anything else is a 500.
/// Domain errors conform here, in the HTTP layer, since the domain knows
/// no HTTP.
package protocol HTTPError: Error {
    var httpStatus: Int { get }
    /// The body's members, in the order the contract writes them.
    var httpBody: [(String, JSONValue)] { get }
    /// Headers beyond the ones every response has.
    var httpHeaders: [(name: String, value: String)] { get }
    /// The line to log when this error is answered; nil for the client's
    /// own mistakes, which the status says all about.
    var logEntry: ErrorLogEntry? { get }
}

extension HTTPError {
    package var httpHeaders: [(name: String, value: String)] { [] }
    package var logEntry: ErrorLogEntry? { nil }
}
