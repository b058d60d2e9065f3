import Synchronization

/// Lets one caller in at most once per `interval` (in the units of the
/// `now` it is given), from any thread and without a lock: periodic
/// housekeeping done by whichever thread passes, and rate-limited log
/// lines. The first call is always let in.
struct OncePerInterval: ~Copyable, Sendable {
    let interval: Int
    private let last = Atomic<Int>(Int.min / 2)

    init(_ interval: Int) { self.interval = interval }

    /// True for the one caller that claims the interval due at `now`.
    func claim(now: Int) -> Bool {
        let last = self.last.load(ordering: .relaxed)
        return now - last >= interval
            && self.last.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
    }
}
