import Glibc
import Testing
@testable import AuthGateCore

@Suite struct StopFlagTests {
    /// A pause ends when the flag is set, not when its time is up.
    @Test func settingTheFlagEndsAPause() throws {
        let stopping = StopFlag()
        let start = Clock.monotonic()
        let setter = try spawnThread {
            usleep(50_000)
            stopping.set()
        }
        stopping.wait(upTo: 10)
        pthread_join(setter, nil)
        #expect(stopping.isSet)
        #expect(Clock.monotonic() - start < 5)
    }

    @Test func anUnsetFlagPausesTheWholeTime() {
        let start = Clock.monotonic()
        StopFlag().wait(upTo: 0.05)
        #expect(Clock.monotonic() - start >= 0.05)
    }
}
