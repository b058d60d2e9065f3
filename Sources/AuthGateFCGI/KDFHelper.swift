internal import CSystem
import Glibc
import Logging
import Synchronization
import AuthGateCore

/// One KDF thread's helper process (`KDFHelperMain`): derivations run
/// there, in a session the kernel schedules behind nginx and the workers,
/// while this thread waits on a socket without using CPU. Started on the
/// first derivation, and ended once idle for `idleSeconds` (its scrypt
/// buffer, 32 MiB, goes with it) or when it fails. When it cannot be
/// started, stops answering or fails a derivation, the derivation runs in
/// the calling thread, so a login never fails for want of a helper.
final class KDFHelper: KeyDeriver, Sendable {
    /// A helper that has used no CPU for this long while a derivation is
    /// due is given up. One that is slow but working (starved by reads: it
    /// runs at nice 10) is waited for.
    static let stallMilliseconds: Int32 = 30_000
    /// After a failure the helper is started again no sooner than this;
    /// the delay doubles with each failure in a row, up to `maxRestartDelay`.
    static let firstRestartDelay = 1.0
    static let maxRestartDelay = 60.0
    /// A helper with no derivation for this long is ended (`endIfIdleOrExited`).
    static let idleSeconds = 10.0

    private struct Process {
        var pid: pid_t = 0
        var fd: Int32 = -1
        var lastUsed = 0.0
        var startAfter = 0.0
        var restartDelay = KDFHelper.firstRestartDelay
    }

    private let process = Locked(Process())
    /// CPU the helper's derivations used, in nanoseconds: the KDF pool's
    /// pacing counts it as this thread's.
    private let cpuNanoseconds = Atomic<UInt64>(0)
    /// Derivations in `derive` now: `endIfIdleOrExited` leaves a helper in use alone.
    private let inUse = Atomic<Int>(0)
    /// A failed derivation is logged once a minute (monotonic seconds) across
    /// all helpers, so helpers that always fail do not flood the log.
    private static let failureLog = OncePerInterval(60)
    private let executable: String
    /// `passedEnvironment()`, read by the caller before any helper starts.
    private let environment: [String]
    private let logger: Logger

    init(executable: String = "/proc/self/exe", environment: [String] = [], logger: Logger) {
        self.executable = executable
        self.environment = environment
        self.logger = logger
    }

    var cpuSeconds: Double { Double(cpuNanoseconds.load(ordering: .relaxed)) / 1e9 }

    /// The helper's pid, if one runs.
    var pid: pid_t? { process.withLock { $0.fd >= 0 ? $0.pid : nil } }

    func derive(_ method: HashMethod, password: [UInt8], salt: [UInt8]) throws -> [UInt8] {
        let request = KDFHelperMessage.encode(.init(method: method, password: password, salt: salt))
        inUse.add(1, ordering: .relaxed)
        defer { inUse.subtract(1, ordering: .relaxed) }
        let reply: KDFHelperMessage.Reply? = process.withLock { process in
            guard let request, ensureStarted(&process) else { return nil }
            defer { process.lastUsed = Clock.monotonic() }
            if let reply = exchange(request, with: process.pid, on: process.fd) {
                process.restartDelay = KDFHelper.firstRestartDelay
                return reply
            }
            logger.warning(
                "KDF helper stopped answering; deriving in the KDF thread", metadata: ["pid": "\(process.pid)"])
            stop(&process)
            backOff(&process)
            return nil
        }
        // The helper's count is not trusted to stay small: wrapping cannot trap.
        if let reply { cpuNanoseconds.wrappingAdd(reply.cpuNanoseconds, ordering: .relaxed) }
        // A failure there (scrypt's 32 MiB not available, say) is no answer
        // about the password: this thread's derivation gives the real one.
        guard case .derived(let key, _)? = reply else {
            if case .failed? = reply, KDFHelper.failureLog.claim(now: Int(Clock.monotonic())) {
                logger.warning("KDF helper failed a derivation; deriving in the KDF thread")
            }
            return try InThreadDeriver().derive(method, password: password, salt: salt)
        }
        return key
    }

    /// Ends the helper and waits for it.
    func stop() {
        process.withLock { stop(&$0) }
    }

    /// Reaps a helper that exited (killed, out of memory) and ends one that
    /// derived nothing for `idleSeconds`, so an idle responder holds no
    /// helper and no scrypt buffer. For a thread other than the deriving
    /// one: it never waits for a derivation.
    func endIfIdleOrExited(now: Double = Clock.monotonic()) {
        guard inUse.load(ordering: .relaxed) == 0 else { return }
        _ = process.withLockIfAvailable { process in
            guard process.fd >= 0 else { return }
            var status: Int32 = 0
            let waited = waitpid(process.pid, &status, WNOHANG)
            if waited == process.pid {
                logger.warning("KDF helper exited", metadata: ["pid": "\(process.pid)", "status": "\(status)"])
            } else if waited < 0 && errno == ECHILD {
                // Reaped elsewhere: the pid may be reused, so no kill.
                logger.warning("KDF helper already reaped, exit status unknown", metadata: ["pid": "\(process.pid)"])
            } else {
                if now - process.lastUsed >= KDFHelper.idleSeconds { stop(&process) }
                return
            }
            close(process.fd)
            process.fd = -1
            backOff(&process)
        }
    }

    private func stop(_ process: inout Process) {
        guard process.fd >= 0 else { return }
        close(process.fd)
        process.fd = -1
        kill(process.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
    }

    private func backOff(_ process: inout Process) {
        process.startAfter = Clock.monotonic() + process.restartDelay
        process.restartDelay = min(KDFHelper.maxRestartDelay, process.restartDelay * 2)
    }

    private func ensureStarted(_ process: inout Process) -> Bool {
        if process.fd >= 0 { return true }
        guard Clock.monotonic() >= process.startAfter else { return false }
        guard let started = start() else {
            backOff(&process)
            return false
        }
        process.pid = started.pid
        process.fd = started.fd
        return true
    }

    /// Spawns `authgate kdf-helper` in a new session, with one end of a
    /// socket pair as fd 3, /dev/null as stdin, the responder's stdout and
    /// stderr, nothing else, and OpenSSL's variables only (`passedEnvironment`).
    private func start() -> (pid: pid_t, fd: Int32)? {
        var pair: [Int32] = [-1, -1]
        let type = Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
            let error = errno
            logger.error("cannot start a KDF helper: socketpair failed", metadata: ["errno": "\(error)"])
            return nil
        }
        var size = Int32(KDFHelperMessage.maxRequestBytes * 2)
        for fd in pair {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // dup2 onto the same number would leave close-on-exec set.
        let childEnd = fcntl(pair[1], F_DUPFD_CLOEXEC, 10)
        let dupError = errno
        close(pair[1])
        guard childEnd >= 0 else {
            close(pair[0])
            logger.error("cannot start a KDF helper: fcntl failed", metadata: ["errno": "\(dupError)"])
            return nil
        }
        defer { close(childEnd) }
        // A session of its own from the start: an autogroup the helper then
        // lowers, and no terminal's Ctrl-C (the responder ends it).
        let pid: pid_t
        do {
            pid = try ProcessSpawn.start(
                executable, arguments: ["authgate", "kdf-helper", "--parent", "\(getpid())"],
                environment: environment,
                defaultSignals: nil, newSession: true
            ) { actions in
                [
                    // spawn-fcgi hands the listening socket over as fd 0.
                    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0),
                    posix_spawn_file_actions_adddup2(&actions, childEnd, KDFHelperMain.fd),
                    // Nothing else crosses: not the FastCGI connections (libfcgi's
                    // accepted sockets are not close-on-exec), not the database's.
                    posix_spawn_file_actions_addclosefrom_np(&actions, KDFHelperMain.fd + 1)
                ]
            }
        } catch {
            close(pair[0])
            logger.error("cannot start a KDF helper", metadata: ["errno": "\(error.errno)", "path": "\(executable)"])
            return nil
        }
        return (pid, pair[0])
    }

    /// The helper's environment: only where OpenSSL finds its configuration
    /// and providers, so it derives as the responder does. Nothing else
    /// (no `FLASK_JWT_SECRET_KEY`, no database URL) crosses.
    static func passedEnvironment(
        lookup: (String) -> String? = { name in getenv(name).map { String(cString: $0) } }
    ) -> [String] {
        ["OPENSSL_CONF", "OPENSSL_MODULES"].compactMap { name in lookup(name).map { "\(name)=\($0)" } }
    }

    /// Sends `request` and waits for the reply; nil when the helper died,
    /// answered nonsense or used no CPU for `stallMilliseconds`.
    private func exchange(_ request: [UInt8], with pid: pid_t, on fd: Int32) -> KDFHelperMessage.Reply? {
        var sent = -1
        repeat { sent = send(fd, request, request.count, Int32(MSG_NOSIGNAL)) } while sent < 0 && errno == EINTR
        guard sent == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: KDFHelperMessage.maxReplyBytes + 1)
        var cpuAtLastLook = KDFHelper.processCPU(pid)
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, KDFHelper.stallMilliseconds)
            if polled < 0 && errno == EINTR { continue }
            if polled == 0 {
                let cpu = KDFHelper.processCPU(pid)
                guard let cpu, let before = cpuAtLastLook, cpu > before else { return nil }
                cpuAtLastLook = cpu
                continue
            }
            guard polled == 1 else { return nil }
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received < 0 && errno == EINTR { continue }
            guard received > 0, received <= KDFHelperMessage.maxReplyBytes else { return nil }
            return KDFHelperMessage.decodeReply(buffer[0..<received])
        }
    }

    /// CPU nanoseconds the process has used, or nil once it is gone.
    private static func processCPU(_ pid: pid_t) -> UInt64? {
        var clock = clockid_t()
        var ts = timespec()
        guard clock_getcpuclockid(pid, &clock) == 0, clock_gettime(clock, &ts) == 0 else { return nil }
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
