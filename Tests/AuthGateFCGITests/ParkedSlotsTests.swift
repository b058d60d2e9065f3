import Testing
@testable import AuthGateFCGI
import AuthGateTestSupport

/// The park's lock-free table: who may take a slot, and when.
struct ParkedSlotsTests {
    /// Parks `fd` and arms it, as `ConnectionPark.park` does when epoll agrees.
    func arm(_ slots: ParkedSlots, _ fd: Int32, generation: UInt32, fresh: Bool, at milliseconds: Int) {
        slots.beginParking(fd, generation: generation, fresh: fresh, nowMilliseconds: milliseconds)
        slots.finishParking(fd, generation: generation, fresh: fresh)
    }

    @Test func anEventTakesItsOwnGenerationOnce() {
        let slots = ParkedSlots(capacity: 16)
        arm(slots, 5, generation: 7, fresh: false, at: 1_000)
        #expect(slots.count == 1)
        #expect(!slots.take(5, generation: 6))  // a stale event: the descriptor was reused
        #expect(slots.take(5, generation: 7))
        #expect(!slots.take(5, generation: 7))  // taken already
        #expect(slots.count == 0)
    }

    @Test func anEventMayComeBeforeTheSlotIsArmed() {
        let slots = ParkedSlots(capacity: 16)
        slots.beginParking(3, generation: 1, fresh: true, nowMilliseconds: 0)
        #expect(slots.take(3, generation: 1))
        slots.finishParking(3, generation: 1, fresh: true)  // too late: stays taken
        #expect(slots.count == 0)
        #expect(slots.takeAll { _, _, _ in true }.isEmpty)
    }

    @Test func sweepsTakeOnlyArmedSlotsTheyPick() {
        let slots = ParkedSlots(capacity: 16)
        arm(slots, 1, generation: 1, fresh: false, at: 100)
        arm(slots, 2, generation: 2, fresh: true, at: 200)
        slots.beginParking(4, generation: 3, fresh: false, nowMilliseconds: 300)  // still being armed
        let old = slots.takeAll { _, since, fresh in since < 250 && !fresh }
        #expect(old == [1])
        #expect(slots.takeAll { _, _, _ in true } == [2])
        #expect(slots.count == 1)
        #expect(slots.takeAll(includeParking: true) { _, _, _ in true } == [4])
        #expect(slots.count == 0)
    }

    @Test func aFailedArmingGivesTheSlotBack() {
        let slots = ParkedSlots(capacity: 16)
        slots.beginParking(9, generation: 4, fresh: false, nowMilliseconds: 0)
        slots.abandonParking(9, generation: 4, fresh: false)
        #expect(slots.count == 0)
        #expect(!slots.take(9, generation: 4))
    }

    @Test func onlyAnsweredConnectionsCountTowardTheCap() {
        let slots = ParkedSlots(capacity: 16)
        arm(slots, 1, generation: 1, fresh: true, at: 0)
        arm(slots, 2, generation: 2, fresh: false, at: 0)
        slots.beginParking(3, generation: 3, fresh: false, nowMilliseconds: 0)
        #expect((slots.count, slots.answeredCount) == (3, 2))
        #expect(slots.take(2, generation: 2))
        #expect((slots.count, slots.answeredCount) == (2, 1))
        #expect(slots.take(1, generation: 1))
        #expect((slots.count, slots.answeredCount) == (1, 1))
        slots.abandonParking(3, generation: 3, fresh: false)
        #expect((slots.count, slots.answeredCount) == (0, 0))
        arm(slots, 4, generation: 4, fresh: false, at: 0)
        #expect(slots.takeAll { _, _, _ in true } == [4])
        #expect(slots.answeredCount == 0)
    }

    @Test func descriptorsPastTheTableAreNeverHeld() {
        let slots = ParkedSlots(capacity: 16)
        #expect(!slots.holds(16))
        #expect(!slots.holds(-1))
        #expect(!slots.take(99, generation: 0))
    }
}
