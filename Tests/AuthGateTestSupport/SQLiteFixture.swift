import Logging
import AuthGateCore
import AuthGateStore

/// A SQLite database file in its own temporary directory, removed when the
/// fixture goes away, with a raw connection for what the store does not
/// expose (DDL, PRAGMAs, rows the Flask app would have written).
package final class SQLiteFixture {
    package static let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }

    package let directory: TemporaryDirectory
    package let path: String
    private lazy var raw: SQLiteConnection? = try? SQLiteConnection(path: path, echo: false, logger: Self.quiet)

    package init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/users.sqlite"
    }

    deinit { directory.remove() }

    /// A new store on the file (one connection), migrated unless asked not to.
    package func store(migrated: Bool = true) throws -> any UserStore {
        if migrated { try DatabaseLocation.sqlite(path: path).migrate(logger: Self.quiet) }
        return try DatabaseLocation.sqlite(path: path).open(echo: false, logger: Self.quiet)
    }

    /// Runs `sql`, one statement or several.
    package func exec(_ sql: String) throws {
        guard let raw else { throw StoreError.unavailable("no raw connection to \(path)") }
        try raw.exec(unsafeSQL: sql)
    }

    /// The first column of every row of `sql` (one statement).
    package func column(_ sql: String) throws -> [String?] {
        guard let raw else { throw StoreError.unavailable("no raw connection to \(path)") }
        return try raw.execute(sql, []).map { $0.columns.first ?? nil }
    }

    package func scalar(_ sql: String) throws -> String? { try column(sql).first ?? nil }
}
