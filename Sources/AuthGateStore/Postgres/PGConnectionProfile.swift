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

    /// Worker connections: a dead server is noticed before the next request
    /// in most cases anyway (see `PGConnection.serverHasGone`).
    static let worker = PGConnectionProfile(applicationName: "authgate", keepalivesIdle: 10, keepalivesInterval: 2,
                                            keepalivesCount: 3, tcpUserTimeoutMilliseconds: 10_000)
    /// The change listener's connection: lost within ~3 s at the TCP level
    /// (its heartbeat covers what TCP cannot see, e.g. a stalled proxy).
    static let listener = PGConnectionProfile(applicationName: "authgate-listener", keepalivesIdle: 1,
                                              keepalivesInterval: 1, keepalivesCount: 2,
                                              tcpUserTimeoutMilliseconds: 3_000)
}
