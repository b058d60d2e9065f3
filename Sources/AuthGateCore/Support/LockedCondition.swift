/// A value behind a `PthreadMutex` that threads can wait on, bounded, for
/// another thread to change: `Locked` with a `PthreadCondition`.
package final class LockedCondition<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched while `mutex` is held.
    private var value: Value
    private let mutex = PthreadMutex()
    private let condition = PthreadCondition()

    /// What a waiter decided, holding the lock: it is done, or it looks
    /// again at `Clock.monotonic()` time `waitUntil` at the latest.
    package enum Step<Result> {
        case done(Result)
        case waitUntil(Double)
    }

    package init(_ value: Value) {
        self.value = value
    }

    /// Reads or changes the value; waiters are not woken.
    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&value) }
    }

    /// Changes the value and wakes every waiter to look at it again.
    package func update<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock {
            defer { condition.broadcast() }
            return try body(&value)
        }
    }

    /// Wakes every waiter to look again, for a change to something else
    /// they look at. Takes the lock: a waiter between its look and its
    /// wait cannot miss the wake-up.
    package func wakeAll() {
        mutex.withLock { condition.broadcast() }
    }

    /// Calls `step` with the value, holding the lock, until it is done;
    /// in between, sleeps until the time it gave or an `update`/`wakeAll`,
    /// whichever comes first.
    package func wait<Result>(_ step: (inout Value) throws -> Step<Result>) rethrows -> Result {
        try mutex.withLock {
            while true {
                switch try step(&value) {
                case .done(let result): return result
                case .waitUntil(let deadline): condition.wait(holding: mutex, untilMonotonic: deadline)
                }
            }
        }
    }
}
