import Logging
@testable import AuthGateCore
@testable import AuthGateStore

/// A SQLite database file in its own temporary directory, removed when the
/// fixture goes away, with a raw connection for what the store does not
/// expose (DDL, PRAGMAs, rows the Flask app would have written).
final class SQLiteFixture {
    static let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }

    let directory: TemporaryDirectory
    let path: String
    private(set) lazy var raw: SQLiteConnection? = try? SQLiteConnection(path: path, echo: false, logger: Self.quiet)

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/users.sqlite"
    }

    deinit { directory.remove() }

    /// A new store on the file (one connection), migrated unless asked not to.
    func store(migrated: Bool = true) throws -> SQLiteUserStore {
        let store = try SQLiteUserStore(path: path, echo: false, logger: Self.quiet)
        if migrated { try store.migrate() }
        return store
    }

    func exec(_ sql: String) throws {
        guard let raw else { throw StoreError.unavailable("no raw connection to \(path)") }
        try raw.exec(unsafeSQL: sql)
    }

    /// The first column of every row of `sql`.
    func column(_ sql: String) throws -> [String?] {
        guard let raw else { throw StoreError.unavailable("no raw connection to \(path)") }
        return try raw.execute(sql, []).map { $0.columns.first ?? nil }
    }

    func scalar(_ sql: String) throws -> String? { try column(sql).first ?? nil }
}
