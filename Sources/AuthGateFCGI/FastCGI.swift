internal import CFastCGI
import Glibc

/// libfcgi's process-wide set-up and listener helpers.
enum FastCGI {
    static func initialize() -> Bool { FCGX_Init() == 0 }

    /// Opens `host:port` or a unix socket path; -1 on failure.
    static func openSocket(_ address: String, backlog: Int32) -> Int32 {
        FCGX_OpenSocket(address, backlog)
    }
}
