import Glibc
import Logging
import AuthGateCore

/// A swift-log handler that writes every record as one line to standard
/// error: JSON (`JSONLogLine`, `AUTHGATE_LOG_FORMAT=json`, the default) or
/// text (`TextLogLine`, `text`). Either way nothing a record holds can
/// break its line. Each line leaves in a single `write(2)` with no lock: a
/// pipe keeps such a write whole up to PIPE_BUF (4,096 bytes on Linux); a
/// longer line, or any line on a socket, may interleave with another's.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let output: @Sendable ([UInt8]) -> Void

    /// `output` receives each finished line; tests pass their own.
    init(label: String, format: LogFormat = .json, metadataProvider: Logger.MetadataProvider? = nil,
         output: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.format = format
        self.metadataProvider = metadataProvider
        self.output = output
    }

    /// The factory for `LoggingSystem.bootstrap`.
    public static func standardError(label: String, format: LogFormat,
                                     metadataProvider: Logger.MetadataProvider?) -> LineLogHandler {
        LineLogHandler(label: label, format: format, metadataProvider: metadataProvider, output: writeToStandardError)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The logger's own metadata, then the provider's, then the call's:
        // the later wins, as in swift-log's own handlers.
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let explicit = event.metadata, !explicit.isEmpty {
            // The common case (a request line): nothing to merge into.
            if merged.isEmpty { merged = explicit } else { merged.merge(explicit) { $1 } }
        }
        if let error = event.error { merged["error.message"] = "\(error)" }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        switch format {
        case .json:
            output(JSONLogLine.render(timestamp: now, level: event.level, label: label,
                                      message: event.message.description, metadata: merged))
        case .text:
            output(TextLogLine.render(timestamp: now, level: event.level, label: label,
                                      message: event.message.description, metadata: merged))
        }
    }

    /// Writes the whole line, retrying after a signal or a short write. A
    /// line that cannot be written (stderr closed) is dropped: logging must
    /// never stop a request.
    @Sendable static func writeToStandardError(_ line: [UInt8]) {
        line.withUnsafeBytes { buffer in
            guard var base = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let n = write(2, base, left)
                if n > 0 {
                    base += n
                    left -= n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
