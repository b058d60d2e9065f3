import Logging
import AuthGateCore

/// Where this process's log lines go: standard error, one JSON object per
/// line (`AUTHGATE_LOG_FORMAT=json`, the default) or escaped text.
public enum LogOutput {
    /// Once per process (swift-log allows one bootstrap), after the
    /// configuration is read: the format is part of it.
    public static func bootstrap(_ format: LogFormat) {
        LoggingSystem.bootstrap { LineLogHandler.standardError(label: $0, format: format, metadataProvider: nil) }
    }
}
