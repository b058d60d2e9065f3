/// Failed logins counted per (username key, client address) in
/// `authgate_login_failures`, for the opt-in login throttle. Shared by
/// every responder on the database. Times are seconds since the epoch.
public protocol LoginFailureStore: AnyObject {
    /// The pair's counted failures and when their window opened; nil when none.
    func loginFailures(key: String, address: String) throws -> LoginFailures?
    /// Counts one failure: starts a new window at `now` when the pair has
    /// none, or when its window opened at or before `windowCutoff` (over);
    /// otherwise adds one to the open window.
    func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws
    /// Forgets the pair's failures (a successful login).
    func clearLoginFailures(key: String, address: String) throws
    /// Deletes windows that opened before `cutoff`; returns how many.
    func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int
}

/// One (username key, address) pair's row.
public struct LoginFailures: Sendable, Equatable {
    public var failures: Int
    public var windowStartedAt: Double

    public init(failures: Int, windowStartedAt: Double) {
        self.failures = failures
        self.windowStartedAt = windowStartedAt
    }
}
