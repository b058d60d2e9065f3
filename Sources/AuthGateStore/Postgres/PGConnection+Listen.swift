internal import CLibPQ
import Glibc
import AuthGateCore

/// The LISTEN/NOTIFY side of a connection, used only by `ChangeListener`:
/// fixed queries under a deadline and waiting for notifications. Worker
/// statements (`execute`) stay in `PGConnection.swift`.
extension PGConnection {
    /// Runs fixed SQL with no parameters and waits at most `timeout` seconds
    /// for all of its results; a server that does not answer in time (dead,
    /// or a half-open connection) loses the connection: `unavailable`.
    /// Notifications that arrive meanwhile wait for `notifications`.
    @discardableResult
    func query(unsafeSQL sql: String, timeout: Double) throws -> [Row] {
        do {
            // Not `ensureConnected`: on a listening connection unasked input
            // (notifications) is normal, not a sign of a closing server.
            if conn == nil || PQstatus(conn) != CONNECTION_OK { try connect() }
            let deadline = Clock.monotonic() + timeout
            guard PQsendQuery(conn, sql) == 1 else { throw lost(sent: false) }
            return try collect(until: deadline, timeout: timeout, sent: true)
        } catch let lost as ConnectionLost {
            throw StoreError.unavailable(lost.reason)
        }
    }

    /// Waits up to `timeoutMilliseconds` for NOTIFY messages on channels
    /// this connection LISTENs to; throws `unavailable` when it is lost.
    func notifications(timeoutMilliseconds: Int32) throws -> [(channel: String, payload: String)] {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { throw StoreError.unavailable("listener not connected") }
        var received = takeNotifications()
        if !received.isEmpty { return received }  // already read (during a query)
        var pfd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, timeoutMilliseconds)
        if ready > 0 && PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            throw StoreError.unavailable("listener: \(lost(sent: false).reason)")
        }
        received = takeNotifications()
        return received
    }

    private func takeNotifications() -> [(channel: String, payload: String)] {
        var received: [(channel: String, payload: String)] = []
        while let note = PQnotifies(conn) {
            received.append((String(cString: note.pointee.relname), String(cString: note.pointee.extra)))
            PQfreemem(note)
        }
        return received
    }
}
