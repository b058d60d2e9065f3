internal import CSystem
import Glibc
import Logging
import AuthGateCore

/// `authgate serve --supervise`: a small parent that owns the listening
/// socket and runs the responder as a child process that inherits it.
/// - SIGHUP: graceful restart. A new responder (the binary and `.env` as
///   they are now) starts on the same socket; once it accepts, the old one
///   drains. Connections queue in the shared backlog meanwhile: none is
///   refused or dropped (nginx's binary upgrade works the same way).
/// - A responder that dies unexpectedly is started again.
/// - SIGTERM, SIGINT: every responder drains; exits 0 once they have.
/// Its pid never changes, so `make run`, a container's PID 1 or a service
/// manager keep watching the same process across restarts.
package final class Supervisor {
    /// Set in a child's environment: the inherited listening socket, and a
    /// pipe to report readiness on.
    static let listenFDVariable = "AUTHGATE_LISTEN_FD"
    static let readyFDVariable = "AUTHGATE_READY_FD"
    static let childListenFD: Int32 = 3
    static let childReadyFD: Int32 = 4

    /// Consecutive crashes before giving up, so a broken deployment fails
    /// loudly (the service manager's own restart policy takes over).
    static let maxCrashes = 5

    private let logger: Logger
    private let listenFD: Int32
    private let executable: String
    private let arguments: [String]

    private var current: pid_t?
    /// A responder started but not yet accepting, and the read end of its
    /// readiness pipe.
    private var starting: (pid: pid_t, ready: Int32)?
    private var draining: Set<pid_t> = []
    private var stopping = false
    private var crashes = 0
    private var exitStatus: Int32 = 0

    package init(listen: String?, socketMode: UInt32, logger: Logger) throws {
        self.logger = logger
        guard FastCGI.initialize() else { throw ServerError("FCGX_Init failed") }
        listenFD = try Listener.open(listen, socketMode: socketMode, logger: logger)
        _ = fcntl(listenFD, F_SETFD, FD_CLOEXEC)  // children get it as fd 3 only
        executable = Supervisor.ownExecutable()
        arguments = CommandLine.arguments.filter { $0 != "--supervise" }
    }

    /// True in a responder this supervisor started.
    static var isChild: Bool { getenv(listenFDVariable) != nil }

    /// Called by a responder once it accepts: tells its supervisor, if any.
    package static func notifyReady() {
        guard let raw = getenv(readyFDVariable), let fd = Int32(String(cString: raw)), fd == childReadyFD else {
            return
        }
        var byte: UInt8 = 1
        _ = Glibc.write(fd, &byte, 1)
        close(fd)
        unsetenv(readyFDVariable)
    }

    /// Runs until SIGTERM or SIGINT and every responder has stopped;
    /// returns the exit status.
    package func run() -> Int32 {
        var mask = sigset_t()
        sigemptyset(&mask)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&mask, sig) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        let signals = signalfd(-1, &mask, Int32(SFD_CLOEXEC))
        guard signals >= 0 else {
            logger.critical("signalfd failed", metadata: ["errno": "\(errno)"])
            return 1
        }
        startResponder()
        while current != nil || starting != nil || !draining.isEmpty {
            var fds = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            if let starting { fds.append(pollfd(fd: starting.ready, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }
            if fds.count > 1, fds[1].revents != 0 { readiness() }
            if fds[0].revents != 0 { handleSignal(signals) }
        }
        logger.info("supervisor stopped")
        return exitStatus
    }

    private func handleSignal(_ fd: Int32) {
        var info = signalfd_siginfo()
        guard read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size else {
            return
        }
        switch Int32(info.ssi_signo) {
        case SIGHUP:
            if stopping || starting != nil {
                logger.info("restart already under way; SIGHUP ignored")
            } else {
                logger.info("graceful restart: starting a new responder")
                startResponder()
            }
        case SIGTERM, SIGINT:
            logger.info("supervisor stopping", metadata: ["signal": "\(info.ssi_signo)"])
            stopping = true
            for pid in [current, starting?.pid].compactMap({ $0 }) + draining { kill(pid, SIGTERM) }
        default:
            reapChildren()
        }
    }

    /// The new responder reported it accepts (or died trying).
    private func readiness() {
        guard let (pid, fd) = starting else { return }
        var byte: UInt8 = 0
        let n = read(fd, &byte, 1)
        close(fd)
        starting = nil
        guard n == 1 else {
            logger.error("new responder did not start", metadata: ["pid": "\(pid)"])
            if current == nil && !stopping { exitStatus = 1; stopping = true }
            return
        }
        crashes = 0
        if let old = current {
            draining.insert(old)
            kill(old, SIGTERM)
            logger.info("new responder accepting; old one draining", metadata: ["pid": "\(pid)", "old.pid": "\(old)"])
        } else {
            logger.info("responder accepting", metadata: ["pid": "\(pid)"])
        }
        current = pid
        if stopping { kill(pid, SIGTERM) }
    }

    private func reapChildren() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            let clean = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
            if draining.remove(pid) != nil { continue }
            if pid == starting?.pid { continue }  // its pipe reports the failure
            guard pid == current else { continue }
            current = nil
            if stopping {
                if !clean { exitStatus = 1 }
                continue
            }
            crashes += 1
            logger.error(
                "responder exited unexpectedly",
                metadata: [
                    "pid": "\(pid)", "status": "\(status)",
                    "crashes": "\(crashes)"
                ])
            guard crashes < Supervisor.maxCrashes else {
                logger.critical("responder keeps failing; giving up")
                exitStatus = 1
                stopping = true
                continue
            }
            if starting == nil {
                usleep(useconds_t(min(5_000_000, 200_000 << crashes)))
                startResponder()
            }
        }
    }

    /// posix_spawn of this binary with the socket on fd 3 and a readiness
    /// pipe on fd 4, in this process group (Ctrl-C reaches it too), with a
    /// clean signal mask.
    private func startResponder() {
        var pipeFDs: [Int32] = [0, 0]
        guard authgate_pipe_cloexec(&pipeFDs) == 0 else {
            logger.error("pipe2 failed", metadata: ["errno": "\(errno)"])
            return
        }
        // dup2 onto the same number would leave close-on-exec set.
        let readyWrite = fcntl(pipeFDs[1], F_DUPFD_CLOEXEC, 10)
        let listenCopy = fcntl(listenFD, F_DUPFD_CLOEXEC, 10)
        close(pipeFDs[1])
        defer { close(readyWrite); close(listenCopy) }

        var environment = Supervisor.environment().filter {
            !$0.hasPrefix(Supervisor.listenFDVariable + "=") && !$0.hasPrefix(Supervisor.readyFDVariable + "=")
        }
        environment.append("\(Supervisor.listenFDVariable)=\(Supervisor.childListenFD)")
        environment.append("\(Supervisor.readyFDVariable)=\(Supervisor.childReadyFD)")
        let pid: pid_t
        do {
            pid = try ProcessSpawn.start(
                executable, arguments: arguments, environment: environment,
                defaultSignals: [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE]
            ) { actions in
                [
                    posix_spawn_file_actions_adddup2(&actions, listenCopy, Supervisor.childListenFD),
                    posix_spawn_file_actions_adddup2(&actions, readyWrite, Supervisor.childReadyFD)
                ]
            }
        } catch {
            close(pipeFDs[0])
            logger.error("cannot start a responder", metadata: ["errno": "\(error.errno)", "path": "\(executable)"])
            if current == nil { exitStatus = 1; stopping = true }
            return
        }
        starting = (pid, pipeFDs[0])
        logger.info("responder started", metadata: ["pid": "\(pid)"])
    }

    /// The path this binary was started from, so a restart runs the
    /// binary installed there now (after an upgrade), not the old inode.
    private static func ownExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasSuffix(" (deleted)") ? String(path.dropLast(10)) : path
    }

    private static func environment() -> [String] {
        var result: [String] = []
        var p = Glibc.environ
        while let entry = p.pointee {
            result.append(String(cString: entry))
            p += 1
        }
        return result
    }
}
