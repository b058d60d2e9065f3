import Glibc
import Synchronization

/// The park's table of connections, one slot per descriptor, without a
/// lock: every request takes a connection out and puts it back, and a
/// mutex here was the hottest lock of the process (4 futex calls a request
/// under wrk -c32, `strace -c`). A slot holds the connection's generation,
/// its state and whether it is new; whoever changes a slot with a
/// compare-and-exchange owns what it changed.
///
/// States: `empty` (not parked: a worker or nobody owns it); `parking`
/// (in the table, its epoll registration being armed: only its event may
/// take it); `armed` (waiting: its event, the idle sweep or the drain may
/// take it).
final class ParkedSlots: @unchecked Sendable {
    // @unchecked Sendable: the slots are atomics; `since` is written by
    // the owner before the slot is published and only read as a hint.
    private static let parking: UInt64 = 1
    private static let armed: UInt64 = 2
    private static let stateMask: UInt64 = 3
    private static let freshBit: UInt64 = 4

    /// Descriptors at or past this are never parked (see `ConnectionPark`).
    let capacity: Int
    private let slots: UnsafeMutablePointer<Atomic<UInt64>>
    /// When each slot was parked, monotonic milliseconds.
    private let since: UnsafeMutablePointer<Atomic<Int>>
    /// One past the highest descriptor ever parked: sweeps look no further.
    private let highWater = Atomic<Int>(0)
    private let parked = Atomic<Int>(0)
    /// Of those, the ones answered at least once (not new): the cap counts
    /// these only, so new connections arriving cannot push out the kept
    /// ones nginx is reusing.
    private let answered = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        since = .allocate(capacity: capacity)
        for i in 0..<capacity {
            (slots + i).initialize(to: Atomic(0))
            (since + i).initialize(to: Atomic(0))
        }
    }

    deinit {
        slots.deinitialize(count: capacity)
        since.deinitialize(count: capacity)
        slots.deallocate()
        since.deallocate()
    }

    /// Connections in the table now.
    var count: Int { parked.load(ordering: .relaxed) }

    /// Connections in the table now that were answered at least once.
    var answeredCount: Int { answered.load(ordering: .relaxed) }

    private func added(fresh: Bool) {
        parked.add(1, ordering: .relaxed)
        if !fresh { answered.add(1, ordering: .relaxed) }
    }

    private func removed(_ value: UInt64) {
        parked.subtract(1, ordering: .relaxed)
        if value & Self.freshBit == 0 { answered.subtract(1, ordering: .relaxed) }
    }

    func holds(_ fd: Int32) -> Bool { fd >= 0 && Int(fd) < capacity }

    private static func value(_ generation: UInt32, _ state: UInt64, fresh: Bool) -> UInt64 {
        UInt64(generation) << 32 | (fresh ? freshBit : 0) | state
    }

    /// Puts `fd` (owned by the caller, `holds(fd)`) in the table, before
    /// its epoll registration is armed: its event may come at once.
    func beginParking(_ fd: Int32, generation: UInt32, fresh: Bool, nowMilliseconds: Int) {
        let i = Int(fd)
        since[i].store(nowMilliseconds, ordering: .relaxed)
        added(fresh: fresh)
        var high = highWater.load(ordering: .relaxed)
        while i + 1 > high {
            let (exchanged, original) = highWater.compareExchange(expected: high, desired: i + 1, ordering: .relaxed)
            if exchanged { break }
            high = original
        }
        slots[i].store(Self.value(generation, Self.parking, fresh: fresh), ordering: .releasing)
    }

    /// Its registration is armed: from now on the sweep may take it too
    /// (unless its event took it already).
    func finishParking(_ fd: Int32, generation: UInt32, fresh: Bool) {
        _ = slots[Int(fd)].compareExchange(
            expected: Self.value(generation, Self.parking, fresh: fresh),
            desired: Self.value(generation, Self.armed, fresh: fresh),
            ordering: .acquiringAndReleasing)
    }

    /// Arming failed: out of the table again, owned by the caller.
    func abandonParking(_ fd: Int32, generation: UInt32, fresh: Bool) {
        let expected = Self.value(generation, Self.parking, fresh: fresh)
        if slots[Int(fd)].compareExchange(expected: expected, desired: 0, ordering: .acquiringAndReleasing).exchanged {
            removed(expected)
        }
    }

    /// For an event of `fd` at `generation`: takes it out of the table if
    /// it is still that connection, parked. True: the caller owns it.
    func take(_ fd: Int32, generation: UInt32) -> Bool {
        guard holds(fd) else { return false }
        var current = slots[Int(fd)].load(ordering: .acquiring)
        // Retried while it is still that connection: its parker may turn
        // `parking` into `armed` between the load and the exchange, and an
        // event given up here would be lost for good (it is one-shot).
        while current >> 32 == UInt64(generation), current & Self.stateMask != 0 {
            let (exchanged, seen) = slots[Int(fd)].compareExchange(
                expected: current, desired: 0,
                ordering: .acquiringAndReleasing)
            if exchanged {
                removed(current)
                return true
            }
            current = seen
        }
        return false
    }

    /// Takes out every armed connection `pick` chooses (descriptor, when
    /// parked, whether new) and returns them, owned by the caller.
    /// `includeParking`: those being armed too (only once nothing parks).
    func takeAll(includeParking: Bool = false, where pick: (Int32, Int, Bool) -> Bool) -> [Int32] {
        var taken: [Int32] = []
        for i in 0..<highWater.load(ordering: .relaxed) {
            let current = slots[i].load(ordering: .acquiring)
            let state = current & Self.stateMask
            guard state == Self.armed || (includeParking && state == Self.parking),
                pick(Int32(i), since[i].load(ordering: .relaxed), current & Self.freshBit != 0),
                slots[i].compareExchange(expected: current, desired: 0, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            removed(current)
            taken.append(Int32(i))
        }
        return taken
    }
}
