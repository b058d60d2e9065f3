import Glibc

/// A value behind a pthread mutex, for the few locks AuthGate takes itself.
///
/// Not `Synchronization.Mutex`: on Linux its contended path (spin, futex
/// wait and hand-off) lives in libswiftSynchronization.so, which is not
/// built with ThreadSanitizer, so TSan sees no order between a contended
/// unlock and the next lock and reports races on what the lock guards
/// (it did, on `Worker.state`). pthread mutexes are intercepted by every
/// sanitizer, and a plain futex costs no more than Mutex's PI futex.
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched between lock and unlock.
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
