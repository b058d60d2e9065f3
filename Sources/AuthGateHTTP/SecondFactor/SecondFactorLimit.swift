import Logging
import AuthGateCore
import AuthGateStore

/// Wrong second-factor answers, counted per user whatever the client
/// address, always on (unlike the opt-in login throttle): after
/// `settings.maxFailures` in a window, every second-factor check of that
/// user is refused with 429 until the window closes. Only someone who has
/// the password (or a fresh token) can add to the count, and a 6-digit
/// code must not be guessable from many addresses at once. Counted in
/// `authgate_login_failures` under the user's id, with an address no
/// client address can be.
package struct SecondFactorLimit {
    package static let settings = LoginThrottleSettings(maxFailures: 5, windowSeconds: 900)
    static let address = "second-factor"

    let key: String
    let store: any LoginFailureStore
    let now: Double

    init(userID: String, _ context: Context) {
        key = "user-id:" + userID
        store = context.store
        now = context.now
    }

    func refuseIfReached(username: String, logger: Logger) throws {
        guard let counted = try store.loginFailures(key: key, address: Self.address),
            let retryAfter = Self.settings.retryAfter(
                failures: counted.failures, windowStartedAt: counted.windowStartedAt, now: now)
        else { return }
        logger.notice(
            "second factor throttled",
            metadata: ["event": "mfa.throttled", "username": "\(username)", "retry_after_s": "\(retryAfter)"])
        throw APIError.tooManyFailedSecondFactors(retryAfter: retryAfter)
    }

    func recordFailure() throws {
        try store.recordLoginFailure(
            key: key, address: Self.address, now: now, windowCutoff: Self.settings.windowCutoff(now: now))
    }

    func clear() throws { try store.clearLoginFailures(key: key, address: Self.address) }

    /// One counted attempt: refused while the limit holds, then `check`
    /// (whether the answer is right), a failure recorded or the count
    /// cleared; `SecondFactorError.invalidCode` when wrong.
    func attempt(username: String, logger: Logger, _ check: () throws -> Bool) throws {
        try refuseIfReached(username: username, logger: logger)
        guard try check() else {
            try recordFailure()
            throw SecondFactorError.invalidCode
        }
        try clear()
    }
}
