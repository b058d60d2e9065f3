import Testing
@testable import AuthGateFCGI
import AuthGateTestSupport

/// The park's lock-free table: who may take a slot, and when.
struct ParkedSlotsTests {
    @Test func anEventTakesItsOwnGenerationOnce() {
        let slots = ParkedSlots(capacity: 16)
        slots.beginParking(5, generation: 7, fresh: false, nowMilliseconds: 1_000)
        slots.finishParking(5, generation: 7, fresh: false)
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
        slots.beginParking(1, generation: 1, fresh: false, nowMilliseconds: 100)
        slots.finishParking(1, generation: 1, fresh: false)
        slots.beginParking(2, generation: 2, fresh: true, nowMilliseconds: 200)
        slots.finishParking(2, generation: 2, fresh: true)
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
        slots.beginParking(1, generation: 1, fresh: true, nowMilliseconds: 0)
        slots.finishParking(1, generation: 1, fresh: true)
        slots.beginParking(2, generation: 2, fresh: false, nowMilliseconds: 0)
        slots.finishParking(2, generation: 2, fresh: false)
        slots.beginParking(3, generation: 3, fresh: false, nowMilliseconds: 0)
        #expect((slots.count, slots.answeredCount) == (3, 2))
        #expect(slots.take(2, generation: 2))
        #expect((slots.count, slots.answeredCount) == (2, 1))
        #expect(slots.take(1, generation: 1))
        #expect((slots.count, slots.answeredCount) == (1, 1))
        slots.abandonParking(3, generation: 3, fresh: false)
        #expect((slots.count, slots.answeredCount) == (0, 0))
        slots.beginParking(4, generation: 4, fresh: false, nowMilliseconds: 0)
        slots.finishParking(4, generation: 4, fresh: false)
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
