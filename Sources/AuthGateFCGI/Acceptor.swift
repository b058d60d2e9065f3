internal import CSystem
import Glibc
import Logging
import Synchronization
import AuthGateCore

/// Accepts connections on the shared listening socket once the
/// `ConnectionPark` says it is readable. Stopping never touches the
/// listening socket: it may be shared with systemd, spawn-fcgi siblings or
/// the next process of a graceful restart, and `shutdown()` would break it
/// for all of them.
final class Acceptor: Sendable {
    let listenFD: Int32
    private let logger: Logger
    /// Consecutive failed accepts, for the back-off.
    private let failures = Atomic<Int>(0)

    init(listenFD: Int32, logger: Logger) {
        self.listenFD = listenFD
        self.logger = logger
    }

    /// One accept after the park said the listener is readable. Nil when
    /// another thread or process took the connection first, a signal
    /// interrupted the wait, or accepting failed (logged, with a growing pause).
    func accept() -> Int32? {
        let fd = authgate_accept_cloexec(listenFD)
        if fd >= 0 {
            failures.store(0, ordering: .relaxed)
            Acceptor.disableNagle(fd)
            Acceptor.boundBlockingIO(fd)
            return fd
        }
        let error = errno
        switch error {
        case EINTR, EAGAIN, ECONNABORTED, EPROTO:
            return nil
        default:
            // EMFILE, ENFILE, ENOBUFS, EINVAL...: retrying at once would spin.
            let n = failures.add(1, ordering: .relaxed).newValue
            let pause = min(1_000_000, 10_000 << min(n - 1, 7))
            logger.error(
                "accept failed",
                metadata: [
                    "errno": "\(error)", "error": "\(String(cString: strerror(error)))",
                    "pause.ms": "\(pause / 1000)"
                ])
            usleep(useconds_t(pause))
            return nil
        }
    }

    /// A peer that stops mid-record (or stops reading our answer) releases
    /// the worker after this long: libfcgi's reads and writes block. Idle
    /// kept connections wait in the park, which this does not limit.
    static let ioTimeoutSeconds = 30

    private static func boundBlockingIO(_ fd: Int32) {
        var limit = timeval(tv_sec: ioTimeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, size)
    }

    /// FastCGI records are written whole; Nagle would hold the END_REQUEST
    /// record back for a delayed ACK. (libfcgi's own accept does the same.)
    private static func disableNagle(_ fd: Int32) {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let family = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length) == 0 ? Int32($0.pointee.sa_family) : -1
            }
        }
        guard family == AF_INET || family == AF_INET6 else { return }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}
