import Logging
import AuthGateCore
import AuthGateStore

/// The opt-in login throttle as one login applies it: checked before the
/// password (a refused attempt costs no key derivation), a failure
/// counted after it, a success clearing the count. Unknown users and
/// wrong passwords take exactly the same steps, so neither the answers
/// nor the work done tell them apart.
struct LoginThrottle {
    let settings: LoginThrottleSettings
    let key: String
    /// The counting key of the client's address (`ThrottleAddress`).
    let address: String
    /// REMOTE_ADDR as nginx passed it, for the log.
    let clientAddress: String
    let store: any LoginFailureStore
    let now: Double

    /// Nil when the throttle is off (the default).
    init?(_ request: Request, username: String, context: Context) throws {
        guard let settings = context.config.loginThrottle else { return nil }
        self.settings = settings
        self.key = try LoginThrottleSettings.key(forUsername: username)
        // Without an address every client would share one count, and a few
        // wrong passwords from anywhere would lock any username out.
        guard let address = ThrottleAddress.key(for: request.remoteAddress) else { throw MissingClientAddress() }
        self.address = address
        self.clientAddress = request.remoteAddress
        self.store = context.store
        self.now = context.now
    }

    /// Throws 429 with Retry-After while the pair's window holds
    /// `maxFailures`; logs the refusal (username and address, nothing else).
    func refuseIfThrottled(username: String, logger: Logger) throws {
        guard let counted = try store.loginFailures(key: key, address: address),
            let retryAfter = settings.retryAfter(
                failures: counted.failures,
                windowStartedAt: counted.windowStartedAt, now: now)
        else { return }
        logger.notice(
            "login throttled",
            metadata: [
                "event": "login.throttled", "username": "\(username)", "client.address": "\(clientAddress)",
                "retry_after_s": "\(retryAfter)"
            ])
        throw APIError.tooManyFailedLogins(retryAfter: retryAfter)
    }

    func recordFailure() throws {
        try store.recordLoginFailure(
            key: key, address: address, now: now, windowCutoff: settings.windowCutoff(now: now))
    }

    func clear() throws {
        try store.clearLoginFailures(key: key, address: address)
    }
}
