import Glibc

/// A pthread mutex guarding an action rather than a value (one writer at a
/// time, one reload at a time); `Locked` is built on it.
///
/// Not `Synchronization.Mutex`: on Linux its contended path (spin, futex
/// wait and hand-off) lives in libswiftSynchronization.so, which is not
/// built with ThreadSanitizer, so TSan sees no order between a contended
/// unlock and the next lock and reports races on what the lock guards
/// (it did, on `Worker.state`). pthread mutexes are intercepted by every
/// sanitizer, and a plain futex costs no more than Mutex's PI futex.
///
/// Not `Locked<Void>`: a zero-sized stored value shares its address with
/// the next field, so TSan took the unlocked read of the mutex pointer for
/// a race with the locked "write" of the Void.
package final class PthreadMutex: @unchecked Sendable {
    // @unchecked Sendable: the pthread mutex is the synchronisation.
    /// Internal, not private: `PthreadCondition` waits on it.
    let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// `body`'s result, or nil at once when another thread holds the lock.
    package func withLockIfAvailable<T>(_ body: () throws -> T) rethrows -> T? {
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
