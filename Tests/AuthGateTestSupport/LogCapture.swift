import InMemoryLogging
import Logging

/// A logger whose lines stay in memory (swift-log's `InMemoryLogHandler`),
/// with each entry flattened for searching: message and metadata as text.
package final class LogCapture: Sendable {
    package struct Entry: Sendable {
        package let level: Logger.Level
        package let message: String
        package let metadata: [String: String]

        /// The message and every metadata value, as one searchable text.
        package var text: String {
            ([message] + metadata.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    private let handler = InMemoryLogHandler()

    package init() {}

    package var entries: [Entry] {
        handler.entries.map {
            Entry(level: $0.level, message: $0.message.description, metadata: $0.metadata.mapValues { $0.description })
        }
    }

    package var logger: Logger {
        var logger = Logger(label: "test.capture") { [handler] _ in handler }
        logger.logLevel = .trace
        return logger
    }
}
