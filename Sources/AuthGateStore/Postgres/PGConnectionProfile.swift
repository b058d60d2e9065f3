internal import CLibPQ
import Glibc
import Logging

/// How a connection presents itself and how soon TCP gives up on a silent
/// server. Keepalives find a peer that vanished while the connection was
/// idle; `tcp_user_timeout` one that stops acknowledging what was sent.
struct PGConnectionProfile: Sendable {
    let applicationName: String
    let keepalivesIdle: Int
    let keepalivesInterval: Int
    let keepalivesCount: Int
    let tcpUserTimeoutMilliseconds: Int
    /// Longest a prepared statement may wait for its answer, client side:
    /// a server that accepts the bytes but never answers (a stopped
    /// process, a stalled proxy: TCP sees nothing wrong) must not hold a
    /// worker thread. Past it the connection is dropped and the request is
    /// a 503. nil: wait as libpq does.
    var statementTimeoutSeconds: Double? = nil

    /// Worker connections: a dead server is noticed before the next request
    /// in most cases anyway (see `PGConnection.serverHasGone`); a silent one
    /// within `statementTimeoutSeconds`.
    static let worker = PGConnectionProfile(
        applicationName: "authgate", keepalivesIdle: 10, keepalivesInterval: 2,
        keepalivesCount: 3, tcpUserTimeoutMilliseconds: 10_000,
        statementTimeoutSeconds: 5)
    /// The change listener's connection: lost within ~3 s at the TCP level
    /// (its heartbeat covers what TCP cannot see, e.g. a stalled proxy).
    static let listener = PGConnectionProfile(
        applicationName: "authgate-listener", keepalivesIdle: 1,
        keepalivesInterval: 1, keepalivesCount: 2,
        tcpUserTimeoutMilliseconds: 3_000)
}
