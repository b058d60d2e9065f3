internal import CSystem
import Glibc
import Logging
import Synchronization
import AuthGateCore

/// One KDF thread's helper process (`KDFHelperMain`): derivations run
/// there, in a session the kernel schedules behind nginx and the workers,
/// while this thread waits on a socket without using CPU. Started on the
/// first derivation and again after one fails; when it cannot be started
/// or stops answering, the derivation runs in the calling thread, so a
/// login never fails for want of a helper.
final class KDFHelper: KeyDeriver, Sendable {
    /// How long one derivation may take in the helper before it is killed
    /// and the derivation done here (the slowest hash Werkzeug accepts
    /// takes about 6 s of CPU).
    static let replyTimeoutMilliseconds: Int32 = 30_000
    /// After a failure, the helper is not started again before this many seconds.
    static let restartDelay = 1.0

    private struct Process {
        var pid: pid_t = 0
        var fd: Int32 = -1
        var startAfter = 0.0
    }

    private let process = Locked(Process())
    /// CPU the helper's derivations used, in nanoseconds: the KDF pool's
    /// pacing counts it as this thread's.
    private let cpuNanoseconds = Atomic<UInt64>(0)
    private let executable: String
    private let logger: Logger

    init(executable: String = "/proc/self/exe", logger: Logger) {
        self.executable = executable
        self.logger = logger
    }

    var cpuSeconds: Double { Double(cpuNanoseconds.load(ordering: .relaxed)) / 1e9 }

    /// The helper's pid, if one runs (for tests and the log).
    var pid: pid_t? { process.withLock { $0.fd >= 0 ? $0.pid : nil } }

    func derive(_ method: HashMethod, password: [UInt8], salt: [UInt8]) throws -> [UInt8] {
        let request = KDFHelperMessage.encode(.init(method: method, password: password, salt: salt))
        let reply: KDFHelperMessage.Reply? = process.withLock { process in
            guard let request, ensureStarted(&process) else { return nil }
            if let reply = exchange(request, on: process.fd) { return reply }
            logger.warning(
                "KDF helper stopped answering; deriving in the KDF thread", metadata: ["pid": "\(process.pid)"])
            stop(&process)
            process.startAfter = Clock.monotonic() + KDFHelper.restartDelay
            return nil
        }
        guard let reply else { return try InThreadDeriver().derive(method, password: password, salt: salt) }
        cpuNanoseconds.add(reply.cpuNanoseconds, ordering: .relaxed)
        guard case .derived(let key, _) = reply else { throw OpenSSLError.call("key derivation (KDF helper)", 0) }
        return key
    }

    /// Ends the helper and waits for it.
    func stop() {
        process.withLock { stop(&$0) }
    }

    private func stop(_ process: inout Process) {
        guard process.fd >= 0 else { return }
        close(process.fd)
        kill(process.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
        process = Process(startAfter: process.startAfter)
    }

    private func ensureStarted(_ process: inout Process) -> Bool {
        if process.fd >= 0 { return true }
        guard Clock.monotonic() >= process.startAfter else { return false }
        if let started = start() {
            process = Process(pid: started.pid, fd: started.fd)
            return true
        }
        process.startAfter = Clock.monotonic() + KDFHelper.restartDelay
        return false
    }

    /// Spawns `authgate kdf-helper` with one end of a socket pair as fd 3,
    /// no other descriptor and an empty environment.
    private func start() -> (pid: pid_t, fd: Int32)? {
        var pair: [Int32] = [-1, -1]
        let type = Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
            logger.error("cannot start a KDF helper: socketpair failed", metadata: ["errno": "\(errno)"])
            return nil
        }
        var size = Int32(KDFHelperMessage.maxRequestBytes * 2)
        for fd in pair {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // dup2 onto the same number would leave close-on-exec set.
        let childEnd = fcntl(pair[1], F_DUPFD_CLOEXEC, 10)
        close(pair[1])
        defer { close(childEnd) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childEnd, KDFHelperMain.fd)
        // Nothing else crosses: not the FastCGI connections (libfcgi's
        // accepted sockets are not close-on-exec), not the database's.
        posix_spawn_file_actions_addclosefrom_np(&actions, KDFHelperMain.fd + 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments: [String] = ["authgate", "kdf-helper", "--parent", "\(getpid())"]
        var argv = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard rc == 0 else {
            close(pair[0])
            logger.error("cannot start a KDF helper", metadata: ["errno": "\(rc)", "path": "\(executable)"])
            return nil
        }
        return (pid, pair[0])
    }

    /// Sends `request` and waits for the reply; nil when the helper died,
    /// answered nonsense or took longer than `replyTimeoutMilliseconds`.
    private func exchange(_ request: [UInt8], on fd: Int32) -> KDFHelperMessage.Reply? {
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        let deadline = Clock.monotonic() + Double(KDFHelper.replyTimeoutMilliseconds) / 1000
        var buffer = [UInt8](repeating: 0, count: KDFHelperMessage.maxReplyBytes + 1)
        while true {
            let left = Int32(max(0, (deadline - Clock.monotonic()) * 1000))
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, left)
            if polled < 0 && errno == EINTR { continue }
            guard polled == 1 else { return nil }
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received < 0 && errno == EINTR { continue }
            guard received > 0, received <= KDFHelperMessage.maxReplyBytes else { return nil }
            return KDFHelperMessage.decodeReply(buffer[0..<received])
        }
    }
}
