import Synchronization
import AuthGateCore

/// A clock the test sets by hand; `Services` reads it through `Clock`.
package final class TestClock: Sendable {
    private let seconds: Mutex<Double>

    package init(_ start: Double) { seconds = Mutex(start) }

    package var now: Double {
        get { seconds.withLock { $0 } }
        set { seconds.withLock { $0 = newValue } }
    }

    package var clock: Clock { Clock { [self] in now } }
}
