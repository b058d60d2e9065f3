import Glibc
import Testing
@testable import AuthGateCore

@Suite struct LockedConditionTests {
    /// A waiter is woken by `update` well before its deadline, and sees
    /// the change.
    @Test func anUpdateWakesTheWaiterBeforeItsDeadline() throws {
        let flag = LockedCondition(false)
        let start = Clock.monotonic()
        let setter = try spawnThread {
            usleep(50_000)
            flag.update { $0 = true }
        }
        let woken = flag.wait { set -> LockedCondition<Bool>.Step<Double> in
            set ? .done(Clock.monotonic()) : .waitUntil(start + 10)
        }
        pthread_join(setter, nil)
        #expect(woken - start < 5, "woken by the update, not the 10 s deadline")
    }

    /// With nobody to wake it, a wait ends at its deadline, not before.
    @Test func aWaitEndsAtItsDeadline() {
        let value = LockedCondition(0)
        let deadline = Clock.monotonic() + 0.05
        let ended = value.wait { _ -> LockedCondition<Int>.Step<Double> in
            let now = Clock.monotonic()
            return now >= deadline ? .done(now) : .waitUntil(deadline)
        }
        #expect(ended >= deadline)
        #expect(ended - deadline < 2)
    }

    /// `wakeAll` wakes a waiter looking at something outside the value.
    @Test func wakeAllWakesForAChangeElsewhere() throws {
        let gate = LockedCondition(0)
        let elsewhere = Locked(false)
        let start = Clock.monotonic()
        let setter = try spawnThread {
            usleep(50_000)
            elsewhere.withLock { $0 = true }
            gate.wakeAll()
        }
        let woken = gate.wait { _ -> LockedCondition<Int>.Step<Double> in
            elsewhere.withLock { $0 } ? .done(Clock.monotonic()) : .waitUntil(start + 10)
        }
        pthread_join(setter, nil)
        #expect(woken - start < 5)
    }
}
