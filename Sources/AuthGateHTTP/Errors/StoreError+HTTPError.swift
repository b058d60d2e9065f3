import AuthGateCore

/// A store failure answers as what it amounts to for the client: a unique
/// index that refused a row is a conflict (409), a database out of reach
/// is 503 (logged as a warning), anything else a logged 500.
extension StoreError: HTTPError {
    /// The error whose answer this one gives, where there is one.
    private var answeredAs: (any HTTPError)? {
        switch self {
        // Handlers resolve which field collided; one that escapes is a race
        // on the username (checked first), so it answers as one.
        case .uniqueViolation: return APIError.userExists
        case .unavailable: return nil
        case .schema, .failed: return UnexpectedError(self)
        }
    }

    package var httpStatus: Int { answeredAs?.httpStatus ?? 503 }

    package var httpBody: [(String, JSONValue)] {
        answeredAs?.httpBody ?? [("error", .string("Service unavailable"))]
    }

    package var httpHeaders: [(name: String, value: String)] { answeredAs?.httpHeaders ?? [] }

    package var logEntry: ErrorLogEntry? {
        guard case .unavailable(let reason) = self else { return answeredAs?.logEntry }
        return ErrorLogEntry(level: .warning, message: "database unavailable", detail: reason)
    }
}
