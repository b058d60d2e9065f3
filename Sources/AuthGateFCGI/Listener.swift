import Glibc
import Logging
import AuthGateCore

/// Finds the FastCGI listening socket: the supervisor's (fd 3) in a
/// responder started by `serve --supervise`; `AUTHGATE_LISTEN` when set; else
/// one inherited from systemd (`LISTEN_FDS`, fd 3) or spawn-fcgi (fd 0);
/// else the unix socket `Config.defaultListen`. Only nginx may reach it
/// (libfcgi trusts its peer): TCP only when asked for, and a unix socket is
/// made mode 0660 in a folder only nginx's group may enter
/// (`AUTHGATE_SOCKET_MODE` may narrow it; a mode open to other users is refused).
enum Listener {
    static let backlog: Int32 = 1024

    /// `socketMode`: the mode of a unix socket it binds (`Config.socketMode`).
    static func open(_ configured: String?, socketMode: UInt32, logger: Logger) throws -> Int32 {
        // A responder started by `serve --supervise` shares its parent's socket.
        if Supervisor.isChild {
            guard isListening(Supervisor.childListenFD) else {
                throw ServerError("\(Supervisor.listenFDVariable) is set but fd 3 is not a listening socket")
            }
            return Supervisor.childListenFD
        }
        if let configured { return try bind(configured, socketMode: socketMode, logger: logger) }
        if let fds = getenv("LISTEN_FDS").map({ String(cString: $0) }), fds == "1",
            let pid = getenv("LISTEN_PID").map({ String(cString: $0) }), pid == String(getpid()),
            isListening(3)
        {
            logger.info("using socket from systemd", metadata: ["fd": "3"])
            return 3
        }
        if isListening(0) {
            logger.info("using inherited socket", metadata: ["fd": "0"])
            return 0
        }
        return try bind(Config.defaultListen, socketMode: socketMode, logger: logger)
    }

    static func bind(_ address: String, socketMode: UInt32, logger: Logger) throws -> Int32 {
        var fd: Int32
        if address.hasPrefix("unix:") {
            let path = String(address.dropFirst(5))
            let mode = mode_t(socketMode)
            unlink(path)
            let old = umask(0o177)
            fd = FastCGI.openSocket(path, backlog: backlog)
            umask(old)
            // Opened 0600 first, then widened: never a moment wider than asked.
            if fd >= 0 { chmod(path, mode) }
        } else {
            fd = FastCGI.openSocket(address, backlog: backlog)
        }
        guard fd >= 0 else {
            throw ServerError(
                "cannot listen on \(address)"
                    + (address.hasPrefix("unix:") ? " (does its folder exist?)" : ""))
        }
        logger.info("listening", metadata: ["address": "\(address)"])
        return fd
    }

    static func isListening(_ fd: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 && value != 0
    }
}
