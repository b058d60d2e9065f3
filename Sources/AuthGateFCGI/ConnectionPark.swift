internal import CSystem
import Glibc
import Synchronization
import AuthGateCore
import AuthGateHTTP

/// Where idle connections wait: one epoll set, shared by every worker,
/// holding the listening socket, the drain's wake-up pipe and each kept
/// connection nginx is not using. A worker takes one readable thing at a
/// time, so threads bound concurrent work, not open connections: nginx
/// may keep as many connections as it needs (up to `maxParked`) without
/// holding a thread for each.
///
/// Connections and the listener are one-shot: an event goes to exactly one
/// worker, which owns the connection until it parks it again (or closes it).
/// The wake-up pipe is level-triggered and never read, so once the drain
/// writes to it every worker sees it, now and from then on.
final class ConnectionPark: Sendable {
    /// What `next` found.
    enum Event {
        /// The listening socket is readable: accept, then `rearmListener`.
        case listener
        /// A parked connection has a request (or its end) to read; the
        /// caller owns it now.
        case connection(Int32)
        case draining
    }

    /// Idle connections kept at most (answered ones: a new connection
    /// waiting for its first request is not counted); past it, a
    /// connection is closed after its answer instead (nginx opens another
    /// when it needs one).
    let maxParked: Int
    /// An idle connection unused this long is closed.
    let idleSeconds: Double
    /// A new connection's first request is never raced by the drain's
    /// closing of idle connections for this long.
    static let freshSeconds = 1.0

    private let epollFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let listenFD: Int32

    /// The connections parked now, by descriptor; the park owns them.
    private let slots: ParkedSlots
    /// Tells a stale event (for a descriptor closed and reused since) from
    /// the current one.
    private let generation = Atomic<UInt32>(0)
    private let draining = Atomic<Bool>(false)
    /// Idle connections are looked for once a second (monotonic milliseconds).
    private let sweep = OncePerInterval(1000)

    private static let wakeToken = UInt64.max
    private static let listenerToken = UInt64.max - 1

    init(listenFD: Int32, maxParked: Int, idleSeconds: Double) throws {
        var wake: [Int32] = [0, 0]
        guard authgate_pipe_cloexec(&wake) == 0 else { throw ServerError("pipe2 failed: errno \(errno)") }
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw ServerError("epoll_create1 failed: errno \(errno)") }
        self.epollFD = epoll
        self.wakeRead = wake[0]
        self.wakeWrite = wake[1]
        self.listenFD = listenFD
        self.maxParked = maxParked
        self.idleSeconds = idleSeconds
        slots = ParkedSlots(capacity: Self.slotCount())
        guard authgate_epoll_control(epoll, EPOLL_CTL_ADD, wakeRead, UInt32(EPOLLIN.rawValue), Self.wakeToken) == 0,
            authgate_epoll_control(epoll, EPOLL_CTL_ADD, listenFD, Self.oneShot, Self.listenerToken) == 0
        else { throw ServerError("epoll_ctl failed: errno \(errno)") }
    }

    private static let oneShot = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLONESHOT.rawValue)

    /// One slot per descriptor this process may open, up to 65,536 (1 MiB
    /// of slots); a connection on a higher one is served but never parked.
    private static func slotCount() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_cur, 65_536))
    }

    /// Blocks until the listener or a parked connection is readable, or the
    /// drain wakes every worker.
    func next() -> Event {
        while true {
            var token: UInt64 = 0
            let n = authgate_epoll_wait_one(epollFD, 1000, &token)
            if n < 0 {
                if errno == EINTR { continue }
                return .draining
            }
            if n == 0 {
                sweepIfDue()
                continue
            }
            switch token {
            case Self.wakeToken: return .draining
            case Self.listenerToken: return .listener
            default:
                let fd = Int32(truncatingIfNeeded: token & 0xFFFF_FFFF)
                if slots.take(fd, generation: UInt32(truncatingIfNeeded: token >> 32)) { return .connection(fd) }
            }
        }
    }

    /// Lets the next worker accept (after `next` answered `.listener`).
    func rearmListener() {
        guard !draining.load(ordering: .relaxed) else { return }
        _ = authgate_epoll_control(epollFD, EPOLL_CTL_MOD, listenFD, Self.oneShot, Self.listenerToken)
    }

    /// Parks a connection until its next request. `accepted`: new, not yet
    /// in the epoll set, and parked even when the park is full (nginx is
    /// sending its first request); false for one once the drain began (or
    /// it cannot be watched): the caller serves it now. One answered
    /// already is closed instead when the park is full or the drain began.
    @discardableResult
    func park(_ fd: Int32, accepted: Bool) -> Bool {
        guard slots.holds(fd), !draining.load(ordering: .relaxed), accepted || slots.answeredCount < maxParked else {
            return refuse(fd, accepted: accepted)
        }
        let now = Int(Clock.monotonic() * 1000)
        let generation = self.generation.add(1, ordering: .relaxed).newValue
        slots.beginParking(fd, generation: generation, fresh: accepted, nowMilliseconds: now)
        let token = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        guard
            authgate_epoll_control(
                epollFD, accepted ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, Self.oneShot,
                token) == 0
        else {
            // No event can come: the slot is still this caller's.
            slots.abandonParking(fd, generation: generation, fresh: accepted)
            return refuse(fd, accepted: accepted)
        }
        slots.finishParking(fd, generation: generation, fresh: accepted)
        sweepIfDue(nowMilliseconds: now)
        return true
    }

    private func refuse(_ fd: Int32, accepted: Bool) -> Bool {
        if accepted { return false }
        close(fd)
        return true
    }

    /// Sends `response` on `connection` and parks the connection, if nginx
    /// keeps it (a worker, the KDF pool or the held answers' thread).
    func answer(_ response: Response, on connection: FCGIRequest) {
        connection.send(response)
        if let fd = connection.releaseKeptConnection() { park(fd, accepted: false) }
    }

    /// Parked connections now, new ones waiting for a first request too.
    var count: Int { slots.count }

    /// Idle kept connections parked now (answered at least once).
    var idleCount: Int { slots.answeredCount }

    /// At most once a second, closes the connections idle past
    /// `idleSeconds` with nothing to read (one nginx just wrote to is left
    /// for a worker), and new ones that sent nothing for as long as a
    /// worker waits for a request's bytes (`Acceptor.ioTimeoutSeconds`).
    private func sweepIfDue(nowMilliseconds now: Int = Int(Clock.monotonic() * 1000)) {
        guard sweep.claim(now: now) else { return }
        let idle = Int(idleSeconds * 1000), silent = Acceptor.ioTimeoutSeconds * 1000
        closeParked { fd, since, fresh in now - since > (fresh ? silent : idle) && !Self.isReadable(fd) }
    }

    /// Takes out of the park, and closes, every waiting connection
    /// `shouldClose` picks (descriptor, when parked, whether new). Closing
    /// a descriptor also takes it out of the epoll set.
    private func closeParked(includeParking: Bool = false, where shouldClose: (Int32, Int, Bool) -> Bool) {
        for fd in slots.takeAll(includeParking: includeParking, where: shouldClose) { close(fd) }
    }

    // MARK: Drain

    /// Stops accepting: the listener leaves the set (the socket itself
    /// stays open for whoever shares it), and from now on a connection is
    /// closed after its answer.
    func beginDrain() {
        draining.store(true, ordering: .relaxed)
        _ = authgate_epoll_control(epollFD, EPOLL_CTL_DEL, listenFD, 0, 0)
    }

    /// During the drain: closes the parked connections with nothing to
    /// read. One with a request waiting stays for a worker to answer; one
    /// nginx writes to just as it closes is resent by nginx
    /// (`fastcgi_next_upstream ... non_idempotent`: nothing was read).
    func closeIdle() {
        let now = Int(Clock.monotonic() * 1000), grace = Int(Self.freshSeconds * 1000)
        closeParked { fd, since, fresh in !(fresh && now - since < grace) && !Self.isReadable(fd) }
    }

    /// Wakes every worker waiting in `next`, now and from then on.
    func wakeAll() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    /// After the workers stopped: closes whatever is still parked.
    func closeAll() {
        closeParked(includeParking: true) { _, _, _ in true }
    }

    private static func isReadable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }
}
