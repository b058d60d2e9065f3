internal import CSQLite
import Logging
import AuthGateCore

/// One SQLite connection, owned by one thread, with its prepared statements
/// cached by SQL text. WAL mode and a busy timeout let several threads and
/// processes share the file without failing on each other's locks.
package final class SQLiteConnection {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private let echo: Bool
    private let logger: Logger

    static let busyTimeoutMilliseconds: Int32 = 5000
    // Extended result codes are macros built with `|` and `<<`, which Swift
    // does not import: SQLITE_CONSTRAINT | (8 << 8) and | (6 << 8).
    static let constraintUnique: Int32 = 2067
    static let constraintPrimaryKey: Int32 = 1555

    /// `readOnly`: for `migrate status` and the dry run, which must change
    /// nothing: the file is opened read-only and keeps its journal mode
    /// (a read-write open switches it to WAL for good).
    package init(path: String, echo: Bool, logger: Logger, readOnly: Bool = false) throws {
        self.echo = echo
        self.logger = logger
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            db = nil
            throw StoreError.unavailable("cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Self.busyTimeoutMilliseconds)
        if readOnly { return }
        try exec(unsafeSQL: "PRAGMA journal_mode=WAL")
        try exec(unsafeSQL: "PRAGMA synchronous=NORMAL")
    }

    deinit {
        for stmt in statements.values { sqlite3_finalize(stmt) }
        sqlite3_close(db)
    }

    private func error(_ rc: Int32) -> StoreError {
        let message = String(cString: sqlite3_errmsg(db))
        if rc == Self.constraintUnique || rc == Self.constraintPrimaryKey {
            return .uniqueViolation(constraint: message)
        }
        // Extended codes keep their primary code in the low byte.
        switch rc & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL:
            return .unavailable("sqlite \(rc): \(message)")
        default:
            return .failed("sqlite \(rc): \(message)")
        }
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let stmt = statements[sql] { return stmt }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        statements[sql] = stmt
        return stmt
    }

    /// Runs one parameterised statement; text parameters are bound with
    /// their byte length, so a NUL inside one does not truncate it.
    @discardableResult
    package func execute(_ sql: String, _ params: [String]) throws -> [Row] {
        if echo { logger.info("sql", metadata: ["sql": "\(sql)"]) }
        let stmt = try statement(sql)
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        for (i, param) in params.enumerated() {
            let bytes = Array(param.utf8)
            let rc = bytes.withUnsafeBufferPointer { buf -> Int32 in
                // An empty buffer may have no base address; bind "" then.
                guard let base = buf.baseAddress else {
                    return sqlite3_bind_text(stmt, Int32(i + 1), "", 0, authgate_sqlite_transient())
                }
                return sqlite3_bind_text(
                    stmt, Int32(i + 1), UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                    Int32(buf.count), authgate_sqlite_transient())
            }
            guard rc == SQLITE_OK else { throw error(rc) }
        }
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc) }
            let ncols = sqlite3_column_count(stmt)
            var row: [String?] = []
            row.reserveCapacity(Int(ncols))
            for c in 0..<ncols {
                if sqlite3_column_type(stmt, c) == SQLITE_NULL {
                    row.append(nil)
                } else if let text = sqlite3_column_text(stmt, c) {
                    let count = Int(sqlite3_column_bytes(stmt, c))
                    row.append(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
                } else {
                    row.append(nil)
                }
            }
            rows.append(Row(row))
        }
        return rows
    }

    /// Runs fixed SQL with no parameters (schema set-up only).
    package func exec(unsafeSQL sql: String) throws {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    var changes: Int { Int(sqlite3_changes(db)) }

    /// `body` in one write transaction (`BEGIN IMMEDIATE`: the write lock
    /// is taken first, so no read inside it is upgraded), rolled back when
    /// it throws.
    func inWriteTransaction<T>(_ body: () throws -> T) throws -> T {
        try exec(unsafeSQL: "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try exec(unsafeSQL: "COMMIT")
            return result
        } catch {
            try? exec(unsafeSQL: "ROLLBACK")
            throw error
        }
    }
}
