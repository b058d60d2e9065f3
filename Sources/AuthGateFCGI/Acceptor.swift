internal import CSystem
import Glibc
import Logging
import Synchronization
import AuthGateCore

/// Waits on the shared listening socket (or a worker's kept connection)
/// together with the drain's wake-up pipe, and accepts connections itself.
/// Stopping never touches the listening socket: it may be shared with
/// systemd, spawn-fcgi siblings or the next process of a graceful restart,
/// and `shutdown()` would break it for all of them.
final class Acceptor: Sendable {
    let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let logger: Logger
    /// Consecutive failed accepts, for the back-off.
    private let failures = Atomic<Int>(0)

    init(listenFD: Int32, logger: Logger) throws {
        var wake: [Int32] = [0, 0]
        guard authgate_pipe_cloexec(&wake) == 0 else { throw ServerError("pipe2 failed: errno \(errno)") }
        self.listenFD = listenFD
        self.wakeRead = wake[0]
        self.wakeWrite = wake[1]
        self.logger = logger
    }

    /// Wakes every thread waiting in `wait` now and from now on: the byte is
    /// never read, so the pipe stays readable.
    func wakeAll() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    enum Wait { case readable, draining }

    /// Blocks until `fd` is readable (a new connection, or the next request
    /// on a kept one) or the drain began. Readable wins a tie, so a request
    /// already sent on a kept connection is still served.
    func wait(for fd: Int32) -> Wait {
        poll(fd, nil).first ? .readable : .draining
    }

    /// Which of the (at most two) descriptors polled are readable.
    /// Neither: only the drain woke the poll.
    private struct Ready {
        var first = false, second = false
        var isEmpty: Bool { !first && !second }
    }

    /// Blocks until `first`, `second` or the wake-up pipe is readable. It
    /// runs before every request on a kept connection, so the poll set is a
    /// tuple on the stack: no heap allocation per request.
    private func poll(_ first: Int32, _ second: Int32?) -> Ready {
        let absent = pollfd(fd: -1, events: 0, revents: 0)  // poll skips negative descriptors
        var entries = (pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                       second.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } ?? absent,
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        while true {
            let n = withUnsafeMutableBytes(of: &entries) { raw -> Int32 in
                Glibc.poll(raw.baseAddress?.assumingMemoryBound(to: pollfd.self), 3, -1)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return Ready()
            }
            let ready = Ready(first: entries.0.revents != 0, second: entries.1.revents != 0)
            if !ready.isEmpty || entries.2.revents != 0 { return ready }
        }
    }

    /// One accept after `wait` said the listener is readable. Nil when
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
            logger.error("accept failed", metadata: ["errno": "\(error)", "error": "\(String(cString: strerror(error)))",
                                                     "pause.ms": "\(pause / 1000)"])
            usleep(useconds_t(pause))
            return nil
        }
    }

    /// A peer that stops mid-record (or stops reading our answer) releases
    /// the worker after this long: libfcgi's reads and writes block. Idle
    /// kept connections are waited on with poll, which this does not limit.
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
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 ? Int32($0.pointee.sa_family) : -1 }
        }
        guard family == AF_INET || family == AF_INET6 else { return }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}
