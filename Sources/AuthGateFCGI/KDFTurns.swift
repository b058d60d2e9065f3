import AuthGateCore

/// Whose turn it is at the one derivation slot while reads are served:
/// the oldest job's. Without an order, the thread that has just finished
/// a derivation (it holds the slot through its pause) takes the slot again
/// at once for a newer job, while a thread holding an older job, woken
/// no sooner than the others, can lose every race for it until its
/// deadline and answer 503 (seen with all the load on one host).
final class KDFTurns: Sendable {
    /// When each job waiting for the slot was queued.
    private let waiting = Locked<[Double]>([])

    init() {}

    /// The job queued at `queuedAt` starts waiting for the slot.
    func enter(queuedAt: Double) {
        waiting.withLock { $0.append(queuedAt) }
    }

    /// The job took the slot, or stopped waiting.
    func leave(queuedAt: Double) {
        waiting.withLock { w in
            if let i = w.firstIndex(of: queuedAt) { w.remove(at: i) }
        }
    }

    /// No waiting job was queued before this one.
    func isOldest(queuedAt: Double) -> Bool {
        waiting.withLock { w in !w.contains { $0 < queuedAt } }
    }
}
