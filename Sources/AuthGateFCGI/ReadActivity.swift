import Synchronization

/// Whether the workers' reads are busy enough that key derivations must
/// leave them the CPU (`KDFPool.shareWhileReading`): at least
/// `busyReadsPerWindow` reads in the current or the previous 200 ms
/// window. A few reads a second need no protection, and throttling the
/// derivations for them would cut login capacity several times for nothing.
/// Counted with relaxed atomics: an estimate, never a lock on the read path.
final class ReadActivity: Sendable {
    static let windowMilliseconds = 200
    /// 1,000 reads a second.
    static let busyReadsPerWindow = 200

    private let windowStart = Atomic<Int>(0)
    private let inWindow = Atomic<Int>(0)
    private let previousWindow = Atomic<Int>(0)

    func noteRead(nowMilliseconds now: Int) {
        let start = windowStart.load(ordering: .relaxed)
        if now - start >= Self.windowMilliseconds,
            windowStart.compareExchange(expected: start, desired: now, ordering: .relaxed).exchanged
        {
            let ended = inWindow.exchange(0, ordering: .relaxed)
            // A window that did not end just now (a pause in the reads) says nothing.
            previousWindow.store(now - start < 2 * Self.windowMilliseconds ? ended : 0, ordering: .relaxed)
        }
        inWindow.add(1, ordering: .relaxed)
    }

    func isBusy(nowMilliseconds now: Int) -> Bool {
        let start = windowStart.load(ordering: .relaxed)
        guard now - start < 2 * Self.windowMilliseconds else { return false }
        return inWindow.load(ordering: .relaxed) >= Self.busyReadsPerWindow
            || (now - start < Self.windowMilliseconds
                && previousWindow.load(ordering: .relaxed) >= Self.busyReadsPerWindow)
    }

    /// The soonest moment (milliseconds, the clock of `now`) at which
    /// `isBusy` could turn false: the end of the current window, or of the
    /// one after it. Reads cannot make it sooner: a new window starts only
    /// once the current one has ended. For a waiter that has no one to
    /// tell it when reads stop.
    func mayGoQuiet(nowMilliseconds now: Int) -> Int {
        let start = windowStart.load(ordering: .relaxed)
        return now - start < Self.windowMilliseconds
            ? start + Self.windowMilliseconds : start + 2 * Self.windowMilliseconds
    }
}
