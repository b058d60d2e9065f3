import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// The throttle's arithmetic: when a pair is refused, for how long, and
/// the key a username is counted under.
@Suite struct LoginThrottleSettingsTests {
    let settings = LoginThrottleSettings(maxFailures: 3, windowSeconds: 60)

    @Test func belowTheLimitIsNotThrottled() {
        #expect(settings.retryAfter(failures: 2, windowStartedAt: 1000, now: 1001) == nil)
        #expect(settings.retryAfter(failures: 0, windowStartedAt: 1000, now: 1000) == nil)
    }

    @Test func atTheLimitWaitsForTheWindowToClose() {
        #expect(settings.retryAfter(failures: 3, windowStartedAt: 1000, now: 1000) == 60)
        #expect(settings.retryAfter(failures: 3, windowStartedAt: 1000, now: 1030.2) == 30)  // rounded up
        #expect(settings.retryAfter(failures: 9, windowStartedAt: 1000, now: 1059.9) == 1)
        #expect(settings.retryAfter(failures: 3, windowStartedAt: 1000, now: 1060) == nil)  // closed
        #expect(settings.retryAfter(failures: 3, windowStartedAt: 1000, now: 5000) == nil)
    }

    /// Whatever a row holds, the answer is 1 to the window, never a trap.
    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e300, -1e300])
    func oddStoredTimesNeverTrap(start: Double) {
        if let wait = settings.retryAfter(failures: 3, windowStartedAt: start, now: 1000) {
            #expect((1...60).contains(wait))
        }
    }

    @Test func theCutoffIsOneWindowBack() {
        #expect(settings.windowCutoff(now: 1000) == 940)
    }

    @Test func ordinaryUsernamesAreTheirOwnKey() throws {
        #expect(try LoginThrottleSettings.key(forUsername: "alice") == "alice")
        #expect(try LoginThrottleSettings.key(forUsername: "") == "")
        let longest = String(repeating: "é", count: 512)  // 1024 bytes
        #expect(try LoginThrottleSettings.key(forUsername: longest) == longest)
        let registrable = String(repeating: "\u{1F600}", count: 80)  // 320 bytes, the longest AuthGate registers
        #expect(try LoginThrottleSettings.key(forUsername: registrable) == registrable)
    }

    @Test func longOrNULNamesAreCountedUnderTheirDigest() throws {
        let long = try LoginThrottleSettings.key(forUsername: String(repeating: "a", count: 1025))
        #expect(long.hasPrefix("sha256:") && long.count == 7 + 64)
        // SHA-256 of the bytes 61 00 62, as `printf 'a\0b' | sha256sum` gives it.
        #expect(
            try LoginThrottleSettings.key(forUsername: "a\u{0}b")
                == "sha256:59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138")
        #expect(
            try LoginThrottleSettings.key(forUsername: "a\u{0}b") != LoginThrottleSettings.key(forUsername: "a\u{0}c"))
    }
}
