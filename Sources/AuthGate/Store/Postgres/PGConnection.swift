internal import CLibPQ
import Glibc
import Logging

/// SQLSTATE codes AuthGate reacts to (PostgreSQL Appendix A).
enum SQLState {
    static let uniqueViolation = "23505"
    static let adminShutdown = "57P01"
    static let crashShutdown = "57P02"
    static let cannotConnectNow = "57P03"
    /// Class 08: connection exceptions.
    static let connectionClass = "08"
}

/// One libpq connection, owned by one thread. Statements are prepared once
/// per connection, on first use; a lost connection is re-established on the
/// next call rather than failing the process.
final class PGConnection {
    private var conn: OpaquePointer?
    private let uri: String
    private var prepared: Set<String> = []
    private let echo: Bool
    private let logger: Logger

    init(uri: String, echo: Bool, logger: Logger) {
        self.uri = uri
        self.echo = echo
        self.logger = logger
        // A server that is down now is retried on the first call.
        try? connect()
    }

    deinit { PQfinish(conn) }

    private func connect() throws {
        PQfinish(conn)
        prepared.removeAll()
        // expand_dbname lets the URI carry everything; connect_timeout bounds
        // how long a request waits while the server is down.
        let keys = ["dbname", "connect_timeout", "application_name"]
        let values = [uri, "3", "authgate"]
        conn = withCStringArray(keys) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw StoreError.unavailable(errorMessage())
        }
        // Plain statements during set-up are ours; no client text reaches them.
        PQclear(PQexec(conn, "SET client_min_messages TO warning"))
    }

    private func errorMessage() -> String {
        guard let conn, let cmsg = PQerrorMessage(conn) else { return "no connection" }
        return String(cString: cmsg).trimmingASCIIWhitespace()
    }

    private func ensureConnected() throws {
        if conn == nil || PQstatus(conn) != CONNECTION_OK { try connect() }
    }

    /// Runs a prepared statement with text parameters and returns its rows
    /// as optional strings (nil for SQL NULL).
    @discardableResult
    func execute(_ statement: PGStatement, _ params: [String]) throws -> [[String?]] {
        try ensureConnected()
        if echo { logger.info("sql", metadata: ["sql": "\(statement.sql)"]) }
        if !prepared.contains(statement.name) {
            let res = PQprepare(conn, statement.name, statement.sql, Int32(params.count), nil)
            defer { PQclear(res) }
            try check(res, expecting: PGRES_COMMAND_OK)
            prepared.insert(statement.name)
        }
        let res = withCStringArray(params) { values in
            PQexecPrepared(conn, statement.name, Int32(params.count), values, nil, nil, 0)
        }
        defer { PQclear(res) }
        return try rows(of: res)
    }

    /// Runs fixed SQL with no parameters (schema set-up only).
    @discardableResult
    func exec(unsafeSQL sql: String) throws -> [[String?]] {
        try ensureConnected()
        let res = PQexec(conn, sql)
        defer { PQclear(res) }
        return try rows(of: res)
    }

    /// A result's rows as optional strings (nil for SQL NULL); none for a
    /// command; a typed error for a failure.
    private func rows(of res: OpaquePointer?) throws -> [[String?]] {
        if PQresultStatus(res) == PGRES_COMMAND_OK { return [] }
        try check(res, expecting: PGRES_TUPLES_OK)
        let nrows = PQntuples(res), ncols = PQnfields(res)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(nrows))
        for r in 0..<nrows {
            rows.append((0..<ncols).map { c in
                PQgetisnull(res, r, c) == 1 ? nil : PQgetvalue(res, r, c).map { String(cString: $0) }
            })
        }
        return rows
    }

    /// Waits up to `timeoutMilliseconds` for NOTIFY messages on channels
    /// this connection LISTENs to; throws `unavailable` when it is lost.
    func notifications(timeoutMilliseconds: Int32) throws -> [(channel: String, payload: String)] {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { throw StoreError.unavailable("listener not connected") }
        var pfd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, timeoutMilliseconds)
        if ready > 0 && PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            let message = errorMessage()
            PQfinish(conn)
            self.conn = nil
            throw StoreError.unavailable("listener: \(message)")
        }
        var received: [(channel: String, payload: String)] = []
        while let note = PQnotifies(conn) {
            received.append((String(cString: note.pointee.relname), String(cString: note.pointee.extra)))
            PQfreemem(note)
        }
        return received
    }

    /// Turns a failed result into a typed error, reading SQLSTATE here.
    private func check(_ res: OpaquePointer?, expecting expected: ExecStatusType) throws {
        let status = PQresultStatus(res)
        if res != nil && status == expected { return }
        let sqlstate = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message = PQresultErrorField(res, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? errorMessage()
        if res == nil || PQstatus(conn) != CONNECTION_OK || sqlstate.hasPrefix(SQLState.connectionClass)
            || [SQLState.adminShutdown, SQLState.crashShutdown, SQLState.cannotConnectNow].contains(sqlstate) {
            PQfinish(conn)
            conn = nil
            prepared.removeAll()
            throw StoreError.unavailable("\(sqlstate) \(message)")
        }
        if sqlstate == SQLState.uniqueViolation {
            let constraint = PQresultErrorField(res, Int32(UInt8(ascii: "n"))).map { String(cString: $0) } ?? ""
            throw StoreError.uniqueViolation(constraint: constraint)
        }
        throw StoreError.failed("\(sqlstate) \(message)")
    }
}

/// A named statement, prepared once per connection.
struct PGStatement: Sendable {
    let name: String
    let sql: String
}

/// Calls `body` with a NULL-free array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>] = []
    owned.reserveCapacity(strings.count)
    for s in strings {
        let bytes = Array(s.utf8)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        owned.append(p)
    }
    defer { owned.forEach { $0.deallocate() } }
    var pointers: [UnsafePointer<CChar>?] = owned.map { UnsafePointer($0) }
    pointers.append(nil)
    return body(pointers)
}
