/// How log lines are written to standard error: `AUTHGATE_LOG_FORMAT`.
public enum LogFormat: String, Sendable, Equatable {
    /// One JSON object per line (the default): what log shippers read.
    case json
    /// Plain text lines for a person at a terminal, control characters
    /// escaped (`TextLogLine`).
    case text
}
