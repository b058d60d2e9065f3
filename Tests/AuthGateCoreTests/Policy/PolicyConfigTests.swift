import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// AUTHGATE_LOGIN_THROTTLE*, AUTHGATE_REHASH_ON_LOGIN and
/// AUTHGATE_REGISTRATION*: off/open by default, and a bad value stops
/// start-up naming its variable.
@Suite struct PolicyConfigTests {
    func load(_ extra: [String: String]) throws(ConfigError) -> Config {
        var env = ["FLASK_SECRET_KEY": "k"]
        env.merge(extra) { $1 }
        return try Config.load(environment: env, dotEnv: [:], workingDirectory: "/nonexistent")
    }

    func failure(_ extra: [String: String]) -> ConfigError? {
        do { _ = try load(extra); return nil } catch { return error }
    }

    @Test func everythingIsOffByDefault() throws {
        let config = try load([:])
        #expect(config.loginThrottle == nil)
        #expect(config.rehashOnLogin == false)
        #expect(config.registration == .open)
        #expect(config.registration.isOpen && config.registration.emailDomains.isEmpty)
    }

    @Test func theThrottleTakesItsLimitsOrTheDefaults() throws {
        #expect(
            try load(["AUTHGATE_LOGIN_THROTTLE": "true"]).loginThrottle
                == LoginThrottleSettings(maxFailures: 5, windowSeconds: 900))
        #expect(
            try load([
                "AUTHGATE_LOGIN_THROTTLE": "on", "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES": "3",
                "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS": " 60 "
            ]).loginThrottle
                == LoginThrottleSettings(maxFailures: 3, windowSeconds: 60))
        #expect(
            try load(["AUTHGATE_LOGIN_THROTTLE": "false", "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES": "3"])
                .loginThrottle == nil)
    }

    @Test func theOtherSwitchesParse() throws {
        #expect(try load(["AUTHGATE_REHASH_ON_LOGIN": "1"]).rehashOnLogin)
        #expect(try !load(["AUTHGATE_REGISTRATION": "Closed"]).registration.isOpen)
        #expect(try load(["AUTHGATE_REGISTRATION": "open"]).registration.isOpen)
        #expect(
            try load(["AUTHGATE_REGISTRATION_EMAIL_DOMAINS": " Example.com, example.ORG ,,"]).registration
                .emailDomains == ["example.com", "example.org"])
        #expect(try load(["AUTHGATE_REGISTRATION_EMAIL_DOMAINS": ""]).registration.emailDomains.isEmpty)
    }

    @Test(arguments: [
        ("AUTHGATE_LOGIN_THROTTLE", "maybe"),
        ("AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES", "0"),
        ("AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES", "five"),
        ("AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES", "1001"),
        ("AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS", "-1"),
        ("AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS", "604801"),
        ("AUTHGATE_REHASH_ON_LOGIN", "2"),
        ("AUTHGATE_REGISTRATION", "invite-only"),
        ("AUTHGATE_REGISTRATION_EMAIL_DOMAINS", "@example.com"),
        ("AUTHGATE_REGISTRATION_EMAIL_DOMAINS", "example.com example.org")
    ])
    func aBadValueNamesItsVariable(name: String, value: String) {
        #expect(failure([name: value])?.variable == name)
    }
}
