import Glibc

/// A pthread condition variable on the monotonic clock, paired with a
/// `PthreadMutex` (pthread, not Foundation's `NSCondition`, for the reason
/// `PthreadMutex` gives: every sanitizer intercepts it). Waits are always
/// timed, so a missed signal costs at most the timeout, never a thread.
package final class PthreadCondition: @unchecked Sendable {
    // @unchecked Sendable: the pthread condition is the synchronisation.
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// The longest one wait lasts, whatever deadline it is given: a
    /// deadline far away (or not finite) is checked again this often.
    package static let maxWaitSeconds = 60.0

    package init() {
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines are `Clock.monotonic()` times: a wall-clock step must
        // neither cut a wait short nor stretch it.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Releases `mutex`, which the caller holds, until `broadcast` or
    /// `deadline` (`Clock.monotonic()` seconds), and takes it back. May
    /// also return early (a spurious wake-up): callers check again.
    package func wait(holding mutex: PthreadMutex, untilMonotonic deadline: Double) {
        let now = Clock.monotonic()
        let bounded = deadline.isNaN ? now + Self.maxWaitSeconds : min(max(deadline, now), now + Self.maxWaitSeconds)
        let seconds = bounded.rounded(.down)
        var until = timespec()
        until.tv_sec = Int(seconds)
        until.tv_nsec = min(999_999_999, max(0, Int((bounded - seconds) * 1e9)))
        _ = pthread_cond_timedwait(condition, mutex.mutex, &until)
    }

    /// Wakes every thread waiting now.
    package func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
