/// The opt-in login throttle (`AUTHGATE_LOGIN_THROTTLE`): failed logins
/// are counted per (username, client address) in a window that opens at
/// the first failure; once `maxFailures` are counted, further attempts
/// for that pair are refused until the window closes. Keyed by the pair,
/// so failures from one address never throttle another.
public struct LoginThrottleSettings: Sendable, Equatable {
    /// `AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES`.
    public var maxFailures: Int
    /// `AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS`.
    public var windowSeconds: Int

    public static let defaultMaxFailures = 5
    public static let defaultWindowSeconds = 900

    public init(maxFailures: Int = defaultMaxFailures, windowSeconds: Int = defaultWindowSeconds) {
        self.maxFailures = maxFailures
        self.windowSeconds = windowSeconds
    }

    /// Windows that started at or before this moment are over at `now`.
    public func windowCutoff(now: Double) -> Double { now - Double(windowSeconds) }

    /// Whole seconds until the pair may try again (1 to the window), or nil
    /// when `failures` counted in a window opened at `windowStartedAt` do
    /// not throttle it at `now`. Clamped before converting: no stored value
    /// can trap.
    public func retryAfter(failures: Int, windowStartedAt: Double, now: Double) -> Int? {
        guard failures >= maxFailures else { return nil }
        let remaining = windowStartedAt + Double(windowSeconds) - now
        guard remaining > 0 else { return nil }  // false for NaN too
        return Int(min(Double(windowSeconds), max(1, remaining.rounded(.up))))
    }

    /// Longest username counted under its own name (every name AuthGate
    /// registers, 80 scalars, fits); longer ones, and ones holding NUL
    /// (PostgreSQL text cannot store it), are counted under their SHA-256,
    /// so the key always fits an index entry (PostgreSQL's cap is ~2.7 kB).
    static let maxKeyBytes = 1024

    /// The key a username's failures are counted under: the name itself,
    /// or `sha256:` and the hex digest of its UTF-8.
    public static func key(forUsername username: String) throws -> String {
        let bytes = Array(username.utf8)
        guard bytes.count > maxKeyBytes || bytes.contains(0) else { return username }
        return "sha256:" + Hex.encode(try Crypto.sha256(bytes))
    }
}
