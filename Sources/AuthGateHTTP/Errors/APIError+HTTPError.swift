import AuthGateCore

/// A client error: its status and message as they are, never logged.
extension APIError: HTTPError {
    package var httpStatus: Int { status }
    package var httpBody: [(String, JSONValue)] { [("error", .string(message))] }
    /// Sorted by name, so the head is the same whatever the dictionary's order.
    package var httpHeaders: [(name: String, value: String)] {
        headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
