import Glibc
import Testing
@testable import AuthGateCore
import AuthGateTestSupport

@Suite struct LockedTests {
    /// Threads that increment in turn under the lock lose no update: the
    /// lock really excludes (a read-modify-write without it loses some).
    @Test func concurrentIncrementsAreAllKept() throws {
        let counter = Locked(0)
        let threads = 4, rounds = 20_000
        let started = try (0..<threads).map { _ in
            try spawnThread { for _ in 0..<rounds { counter.withLock { $0 += 1 } } }
        }
        for thread in started { pthread_join(thread, nil) }
        #expect(counter.withLock { $0 } == threads * rounds)
    }

    @Test func returnsWhatTheBodyReturnsAndRethrows() {
        struct Refused: Error {}
        let queue = Locked([1, 2, 3])
        #expect(queue.withLock { $0.removeFirst() } == 1)
        #expect(throws: Refused.self) { try queue.withLock { _ in throw Refused() } }
        #expect(queue.withLock { $0 } == [2, 3], "a throwing body still unlocks")
    }
}
