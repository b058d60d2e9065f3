/// A value behind a `PthreadMutex`, for the few locks AuthGate takes itself.
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched while `mutex` is held.
    private var value: Value
    private let mutex = PthreadMutex()

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&value) }
    }

    /// `body`'s result, or nil at once when another thread holds the lock.
    package func withLockIfAvailable<T>(_ body: (inout Value) throws -> T) rethrows -> T? {
        try mutex.withLockIfAvailable { try body(&value) }
    }
}
