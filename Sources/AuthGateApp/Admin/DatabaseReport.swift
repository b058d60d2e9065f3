import Logging
import AuthGateCore
import AuthGateStore

/// `authgate check-config`'s look at the database: does it answer, and
/// where does its schema stand. Lines never hold the password: the
/// location prints masked and libpq's messages are redacted
/// (`DatabaseURIRedactor`).
public struct DatabaseReport {
    public let lines: [String]
    /// False when the database cannot be reached (the command exits non-zero).
    public let reachable: Bool

    public static func check(_ config: Config, logger: Logger) -> DatabaseReport {
        let location = config.database
        do {
            let status = try location.schemaStatus(logger: logger)
            guard status.exists else {
                return DatabaseReport(lines: ["database: \(location) does not exist yet (`authgate migrate apply` or `authgate serve` creates it)"],
                                      reachable: true)
            }
            // The status read above is the round trip; ping as /healthz does.
            try location.open(echo: false, logger: logger).ping()
            return DatabaseReport(lines: ["database: reachable", "schema: " + describe(status)], reachable: true)
        } catch {
            // Messages from the connection are redacted already; this also
            // covers any other path an error takes (one redaction, in Core).
            return DatabaseReport(lines: ["database: unreachable: " + location.redacting("\(error)")], reachable: false)
        }
    }

    /// "recorded version R, this build B: current" (or what to do).
    public static func describe(_ status: SchemaStatus) -> String {
        let head = "recorded version \(status.recorded), this build \(status.built)"
        if status.isCurrent { return head + ": current" }
        if !status.exists { return head + ": no database yet (`authgate migrate apply` creates it)" }
        return head + ": migration needed (`authgate migrate apply`, or `authgate serve` at start)"
    }
}
