import Testing
import AuthGateCore
@testable import AuthGateApp
import AuthGateTestSupport

/// Which login-failure windows the purge job deletes: those over for this
/// responder's own window; none when its throttle is off, since it cannot
/// know the window of responders that have it on.
@Suite struct LoginFailurePurgeTests {
    func config(_ environment: [String: String]) throws -> Config {
        try Config.load(
            environment: ["FLASK_SECRET_KEY": "s"].merging(environment) { $1 }, dotEnv: [:],
            workingDirectory: "/nonexistent")
    }

    @Test func offPurgesNothing() throws {
        #expect(Server.loginFailureCutoff(try config([:]), now: TestApp.now) == nil)
    }

    @Test func onPurgesWindowsOverForItsOwnWindow() throws {
        let on = try config(["AUTHGATE_LOGIN_THROTTLE": "true", "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": "3600"])
        #expect(Server.loginFailureCutoff(on, now: TestApp.now) == TestApp.now - 3600)
    }

    /// A short throttle window never purges an open second-factor window.
    @Test func theSecondFactorWindowIsKeptWhenLonger() throws {
        let on = try config(["AUTHGATE_LOGIN_THROTTLE": "true", "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": "60"])
        #expect(Server.loginFailureCutoff(on, now: TestApp.now) == TestApp.now - 900)
    }
}
