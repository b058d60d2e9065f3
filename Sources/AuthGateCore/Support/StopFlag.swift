import Synchronization

/// Set once when the drain starts; read by every thread.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// The same flag behind a lock, for `wait(upTo:)`: `isSet` stays lock-free.
    private let setting = LockedCondition(false)
    public init() {}
    public var isSet: Bool { flag.load(ordering: .acquiring) }
    public func set() {
        flag.store(true, ordering: .releasing)
        setting.update { $0 = true }
    }

    /// Sleeps `seconds`, or until the flag is set if that comes first: a
    /// pause that never holds up the drain.
    public func wait(upTo seconds: Double) {
        let end = Clock.monotonic() + seconds
        setting.wait { set -> LockedCondition<Bool>.Step<Void> in
            set || Clock.monotonic() >= end ? .done(()) : .waitUntil(end)
        }
    }
}
