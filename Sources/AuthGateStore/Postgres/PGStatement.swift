internal import CLibPQ
import Glibc
import Logging

/// A named statement, prepared once per connection.
struct PGStatement: Sendable {
    /// Whether running it twice is harmless, so that a statement whose
    /// connection died under it may be sent again on a new one.
    enum Retry: Sendable {
        /// Reads, and writes whose second run changes nothing.
        case always
        /// Only when it certainly never reached the server.
        case ifNeverSent
    }

    let name: String
    let sql: String
    let retry: Retry

    init(name: String, sql: String, retry: Retry = .always) {
        self.name = name
        self.sql = sql
        self.retry = retry
    }
}
