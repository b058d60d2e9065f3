import Logging

/// What is logged when an error is answered. `detail` goes in the
/// `error` metadata; it must never hold a secret or a client's input.
package struct ErrorLogEntry: Sendable, Equatable {
    package var level: Logger.Level
    package var message: String
    package var detail: String

    package init(level: Logger.Level, message: String, detail: String) {
        self.level = level
        self.message = message
        self.detail = detail
    }
}
