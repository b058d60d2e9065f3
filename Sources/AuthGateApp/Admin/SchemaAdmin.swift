import Logging
import AuthGateCore
import AuthGateStore

/// What `authgate migrate` does: the start-up migration, on its own.
public enum SchemaAdmin {
    /// One line for the operator, and whether the schema is current.
    public static func status(_ config: Config, logger: Logger) throws -> (line: String, isCurrent: Bool) {
        let status = try config.database.schemaStatus(logger: logger)
        return ("schema: " + DatabaseReport.describe(status), status.isCurrent)
    }

    /// The statements `apply` would run now, each ending in `;`; nothing is changed.
    public static func dryRun(_ config: Config, logger: Logger) throws -> [String] {
        try config.database.migrationDryRun(logger: logger).map(terminated)
    }

    /// Creates or adopts the schema, as `serve` does at start.
    public static func apply(_ config: Config, logger: Logger) throws {
        try config.database.migrate(logger: logger)
    }

    /// A statement as psql or sqlite3 would take it: trimmed, ending in `;`.
    static func terminated(_ sql: String) -> String {
        var text = Substring(sql)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        return text.hasSuffix(";") ? String(text) : text + ";"
    }
}
