import CSQLite
import Logging
import AuthGateCore
import AuthGateStore

/// A SQLite database file in its own temporary directory, removed when the
/// fixture goes away, with raw SQL (through SQLite's C API, not the store)
/// for what the store does not expose: DDL, PRAGMAs, rows the Flask app
/// would have written.
package final class SQLiteFixture {
    package static let quiet = Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() }

    package let directory: TemporaryDirectory
    package let path: String

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

    package func exec(_ sql: String) throws { _ = try column(sql) }

    /// The first column of every row of `sql` (NULL as nil).
    package func column(_ sql: String) throws -> [String?] {
        var db: OpaquePointer?
        defer { sqlite3_close(db) }
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError.unavailable("cannot open \(path)") }
        sqlite3_busy_timeout(db, 5_000)
        var values: [String?] = []
        var rest = Array(sql.utf8CString)
        try rest.withUnsafeMutableBufferPointer { buffer in
            var next = UnsafePointer(buffer.baseAddress)
            while let sql = next, sql.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                guard sqlite3_prepare_v2(db, sql, -1, &statement, &tail) == SQLITE_OK else {
                    throw StoreError.unavailable(String(cString: sqlite3_errmsg(db)))
                }
                defer { sqlite3_finalize(statement) }
                next = tail
                guard statement != nil else { continue }  // only whitespace or a comment was left
                while true {
                    let step = sqlite3_step(statement)
                    if step == SQLITE_DONE { break }
                    guard step == SQLITE_ROW else { throw StoreError.unavailable(String(cString: sqlite3_errmsg(db))) }
                    values.append(sqlite3_column_text(statement, 0).map { String(cString: $0) })
                }
            }
        }
        return values
    }

    package func scalar(_ sql: String) throws -> String? { try column(sql).first ?? nil }
}
