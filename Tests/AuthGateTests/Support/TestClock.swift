import Synchronization
@testable import AuthGateCore

/// A clock the test sets by hand; `Services` reads it through `Clock`.
final class TestClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double) { seconds = Mutex(start) }

    var now: Double {
        get { seconds.withLock { $0 } }
        set { seconds.withLock { $0 = newValue } }
    }

    var clock: Clock { Clock { [self] in now } }
}
