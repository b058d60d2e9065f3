internal import CLibPQ
import Glibc
import Logging
import AuthGateCore

/// One libpq connection, owned by one thread. Statements are prepared once
/// per connection, on first use. A connection the server has dropped (a
/// restart) is replaced before the next statement, and a statement whose
/// connection dies under it is retried once on a new one when that is safe.
final class PGConnection {
    /// Readable by the listener API (`PGConnection+Listen.swift`), as are
    /// `connect`, `collect`, `lost` and `ConnectionLost`.
    private(set) var conn: OpaquePointer?
    private let uri: String
    /// Masks the URI's secrets in every message this connection passes on:
    /// libpq quotes what it cannot parse, the password included.
    private let redactor: DatabaseURIRedactor
    private let profile: PGConnectionProfile
    private var prepared: Set<String> = []
    private let echo: Bool
    private let logger: Logger
    /// Connection attempts so far: every one after the first is a reconnect.
    private var attempts = 0

    /// Seconds to establish a connection (libpq `connect_timeout`).
    static let connectTimeoutSeconds = 3

    init(uri: String, profile: PGConnectionProfile = .worker, echo: Bool, logger: Logger) {
        self.uri = uri
        self.redactor = DatabaseURIRedactor(uri: uri)
        self.profile = profile
        self.echo = echo
        self.logger = logger
        // A server that is down now is retried on the first call.
        try? connect()
    }

    deinit { PQfinish(conn) }

    /// The connection died (or was found dead); `sent` says whether the
    /// statement may have reached the server, so may have run.
    struct ConnectionLost: Error {
        let sent: Bool
        let reason: String
    }

    func connect() throws {
        drop()
        // Settings before the URI may be overridden by it (TCP tuning, quiet
        // NOTICEs); those after it may not (the bound on connecting, our
        // name). The URI is passed whole (expand_dbname): nothing here
        // formats or logs it, and libpq's messages about it are redacted.
        let p = profile
        let keys = [
            "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
            "options", "dbname", "connect_timeout", "application_name"
        ]
        let values = [
            "1", "\(p.keepalivesIdle)", "\(p.keepalivesInterval)", "\(p.keepalivesCount)",
            "\(p.tcpUserTimeoutMilliseconds)", "-c client_min_messages=warning",
            uri, "\(Self.connectTimeoutSeconds)", p.applicationName
        ]
        conn = withCStringArray(keys) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        attempts += 1
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = errorMessage()
            drop()
            StoreMetrics.connectFailures.increment()
            throw StoreError.unavailable(message)
        }
        if attempts > 1 {
            let listener = profile.applicationName == PGConnectionProfile.listener.applicationName
            (listener ? StoreMetrics.listenerReconnects : StoreMetrics.storeReconnects).increment()
        }
        // Server notices (e.g. the FATAL a restart sends to idle sessions)
        // go to the log, not as bare lines on stderr. `self` outlives `conn`.
        PQsetNoticeProcessor(
            conn,
            { context, message in
                guard let context, let message else { return }
                let connection = Unmanaged<PGConnection>.fromOpaque(context).takeUnretainedValue()
                connection.logger.notice(
                    "database notice", metadata: ["message": "\(connection.clean(String(cString: message)))"])
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func drop() {
        PQfinish(conn)
        conn = nil
        prepared.removeAll()
    }

    private func errorMessage() -> String {
        guard let conn, let cmsg = PQerrorMessage(conn) else { return "no connection" }
        return clean(String(cString: cmsg))
    }

    /// A libpq or server message as one line, the URI's secrets masked
    /// (before the lines are joined, so a secret is found as it was quoted).
    private func clean(_ message: String) -> String {
        redactor.redact(oneLine(redactor.redact(message)))
    }

    /// Whether an idle connection is dead. An idle connection has nothing
    /// to read unless the server spoke unasked, and then it is nearly
    /// always its last words (FATAL 57P01 at a restart) and end-of-file.
    /// Reading them costs no round trip; a live connection stays as it is.
    private func serverHasGone() -> Bool {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { return true }
        for _ in 0..<3 {
            var pfd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 0)
            if ready <= 0 { return false }  // nothing pending (or cannot tell: let the statement say)
            if pfd.revents & Int16(POLLERR | POLLNVAL) != 0 { return true }
            if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK { return true }
        }
        return true  // still talking unasked: start afresh
    }

    /// Connects when there is no usable connection; throws `unavailable`
    /// when the server cannot be reached.
    private func ensureConnected() throws {
        if serverHasGone() {
            if conn != nil { logger.info("database connection closed by the server; reconnecting") }
            try connect()
        }
    }

    /// Runs a prepared statement with text parameters and returns its rows.
    /// A connection that dies under it is replaced and the statement run
    /// once more when that is safe (see `PGStatement.Retry`); otherwise, or
    /// if that fails too, 503.
    @discardableResult
    func execute(_ statement: PGStatement, _ params: [String]) throws -> [Row] {
        do {
            return try executeOnce(statement, params)
        } catch let lost as ConnectionLost {
            guard !lost.sent || statement.retry == .always else { throw StoreError.unavailable(lost.reason) }
            logger.info(
                "database connection lost; retrying once on a new one",
                metadata: ["statement": "\(statement.name)", "error": "\(lost.reason)"])
            do {
                return try executeOnce(statement, params)
            } catch let again as ConnectionLost {
                throw StoreError.unavailable(again.reason)
            }
        }
    }

    private func executeOnce(_ statement: PGStatement, _ params: [String]) throws -> [Row] {
        try ensureConnected()
        if echo { logger.info("sql", metadata: ["sql": "\(statement.sql)"]) }
        if let timeout = profile.statementTimeoutSeconds {
            return try executeWithDeadline(statement, params, timeout: timeout)
        }
        if !prepared.contains(statement.name) {
            // Fails before the statement itself is sent.
            let res = PQprepare(conn, statement.name, statement.sql, Int32(params.count), nil)
            defer { PQclear(res) }
            _ = try rows(of: res, sent: false)
            prepared.insert(statement.name)
        }
        let res = withCStringArray(params) { values in
            PQexecPrepared(conn, statement.name, Int32(params.count), values, nil, nil, 0)
        }
        defer { PQclear(res) }
        return try rows(of: res, sent: true)
    }

    /// `executeOnce` without blocking past `timeout` seconds in all: the
    /// prepare (first use) and the statement are sent asynchronously and
    /// their answers awaited under one deadline (`awaitResult`), which
    /// drops the connection when it passes.
    private func executeWithDeadline(_ statement: PGStatement, _ params: [String], timeout: Double) throws -> [Row] {
        let deadline = Clock.monotonic() + timeout
        if !prepared.contains(statement.name) {
            guard PQsendPrepare(conn, statement.name, statement.sql, Int32(params.count), nil) == 1 else {
                throw lost(sent: false)
            }
            _ = try collect(until: deadline, timeout: timeout, sent: false)
            prepared.insert(statement.name)
        }
        let sent = withCStringArray(params) { values in
            PQsendQueryPrepared(conn, statement.name, Int32(params.count), values, nil, nil, 0)
        }
        guard sent == 1 else { throw lost(sent: false) }
        return try collect(until: deadline, timeout: timeout, sent: true)
    }

    /// Reads every result of what was sent, until the connection is idle
    /// again, each awaited under `deadline`: the rows of the last result
    /// that has rows (a command's result has none), or the first error.
    func collect(until deadline: Double, timeout: Double, sent: Bool) throws -> [Row] {
        var rows: [Row] = []
        var failure: (any Error)?
        while true {
            try awaitResult(until: deadline, timeout: timeout)
            guard let res = PQgetResult(conn) else { break }
            defer { PQclear(res) }
            do {
                let these = try self.rows(of: res, sent: sent)
                if PQresultStatus(res) == PGRES_TUPLES_OK { rows = these }
            } catch let lost as ConnectionLost {
                throw lost
            } catch {
                failure = failure ?? error  // keep reading until the connection is idle again
            }
        }
        if let failure { throw failure }
        return rows
    }

    /// Runs fixed SQL with no parameters (schema set-up only).
    @discardableResult
    func exec(unsafeSQL sql: String) throws -> [Row] {
        do {
            try ensureConnected()
            let res = PQexec(conn, sql)
            defer { PQclear(res) }
            return try rows(of: res, sent: true)
        } catch let lost as ConnectionLost {
            throw StoreError.unavailable(lost.reason)
        }
    }

    /// Sends what is queued and reads until a whole result can be taken
    /// without blocking, or the deadline passes.
    private func awaitResult(until deadline: Double, timeout: Double) throws {
        while true {
            let flushed = PQflush(conn)
            if flushed < 0 { throw lost(sent: true) }
            if flushed == 0 && PQisBusy(conn) == 0 { return }
            let remaining = deadline - Clock.monotonic()
            guard remaining > 0 else {
                drop()
                throw ConnectionLost(sent: true, reason: "no answer from the server within \(timeout) s")
            }
            let events = POLLIN | (flushed == 1 ? POLLOUT : 0)
            var pfd = pollfd(fd: PQsocket(conn), events: Int16(events), revents: 0)
            _ = poll(&pfd, 1, Int32(min(remaining, 1.0) * 1000) + 1)
            if PQconsumeInput(conn) == 0 { throw lost(sent: true) }
        }
    }

    /// Drops the connection, returning why it was lost.
    func lost(sent: Bool) -> ConnectionLost {
        let reason = errorMessage()
        drop()
        return ConnectionLost(sent: sent, reason: reason)
    }

    /// A result's rows (text, nil for SQL NULL); none for a command; a
    /// typed error for a failure, reading SQLSTATE here.
    private func rows(of res: OpaquePointer?, sent: Bool) throws -> [Row] {
        let status = PQresultStatus(res)
        if res != nil && status == PGRES_COMMAND_OK { return [] }
        if res == nil || status != PGRES_TUPLES_OK { try fail(res, sent: sent) }
        let nrows = PQntuples(res), ncols = PQnfields(res)
        var rows: [Row] = []
        rows.reserveCapacity(Int(nrows))
        for r in 0..<nrows {
            rows.append(
                Row(
                    (0..<ncols).map { c in
                        PQgetisnull(res, r, c) == 1 ? nil : PQgetvalue(res, r, c).map { String(cString: $0) }
                    }))
        }
        return rows
    }

    private func fail(_ res: OpaquePointer?, sent: Bool) throws -> Never {
        let sqlstate = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message =
            PQresultErrorField(res, Int32(UInt8(ascii: "M"))).map { clean(String(cString: $0)) } ?? errorMessage()
        if res == nil || PQstatus(conn) != CONNECTION_OK || sqlstate.hasPrefix(SQLState.connectionClass)
            || [SQLState.adminShutdown, SQLState.crashShutdown, SQLState.cannotConnectNow].contains(sqlstate)
        {
            drop()
            throw ConnectionLost(sent: sent, reason: "\(sqlstate) \(message)")
        }
        if sqlstate == SQLState.uniqueViolation {
            let constraint = PQresultErrorField(res, Int32(UInt8(ascii: "n"))).map { String(cString: $0) } ?? ""
            throw StoreError.uniqueViolation(constraint: constraint)
        }
        if sqlstate == SQLState.lockNotAvailable { throw LockNotAvailable(description: "\(sqlstate) \(message)") }
        throw StoreError.failed("\(sqlstate) \(message)")
    }
}

/// libpq's multi-line messages as one log-friendly line.
private func oneLine(_ message: String) -> String {
    message.split(whereSeparator: { $0 == "\n" || $0 == "\t" }).map { $0.trimmingASCIIWhitespace() }
        .filter { !$0.isEmpty }.joined(separator: " ")
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
