import Glibc
import Logging
import AuthGateCore

/// A swift-log handler that writes every record as one line to standard
/// error: JSON (`JSONLogLine`, `AUTHGATE_LOG_FORMAT=json`, the default) or
/// text (`TextLogLine`, `text`). Either way nothing a record holds can
/// break its line. Lines go through `LogBuffer`: no `write(2)` per line,
/// written at least once a second, warnings and worse at once.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let output: @Sendable ([UInt8], Logger.Level) -> Void

    /// `output` receives each finished line and its level; tests pass their own.
    init(
        label: String, format: LogFormat = .json, metadataProvider: Logger.MetadataProvider? = nil,
        output: @escaping @Sendable ([UInt8], Logger.Level) -> Void
    ) {
        self.label = label
        self.format = format
        self.metadataProvider = metadataProvider
        self.output = output
    }

    /// The factory for `LoggingSystem.bootstrap`.
    public static func standardError(
        label: String, format: LogFormat,
        metadataProvider: Logger.MetadataProvider?
    ) -> LineLogHandler {
        LineLogHandler(
            label: label, format: format, metadataProvider: metadataProvider,
            output: { line, level in
                LogBuffer.shared.append(line, urgent: level >= .warning)
            })
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
            output(
                JSONLogLine.render(
                    timestamp: now, level: event.level, label: label,
                    message: event.message.description, metadata: merged), event.level)
        case .text:
            output(
                TextLogLine.render(
                    timestamp: now, level: event.level, label: label,
                    message: event.message.description, metadata: merged), event.level)
        }
    }
}
