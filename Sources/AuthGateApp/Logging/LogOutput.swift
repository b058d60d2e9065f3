import Logging
import AuthGateCore

/// Where this process's log lines go: standard error, one JSON object per
/// line (`AUTHGATE_LOG_FORMAT=json`, the default) or swift-log's text.
public enum LogOutput {
    /// Once per process (swift-log allows one bootstrap), after the
    /// configuration is read: the format is part of it.
    public static func bootstrap(_ format: LogFormat) {
        switch format {
        case .json: LoggingSystem.bootstrap { JSONLogHandler.standardError(label: $0, metadataProvider: nil) }
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
    }
}
