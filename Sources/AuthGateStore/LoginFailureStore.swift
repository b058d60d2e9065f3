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

/// The table's layout, shared by both stores' migrations.
enum LoginFailuresSchema {
    static let table = "authgate_login_failures"
    static let index = "authgate_login_failures_window"
    static let postgresDDL = """
        CREATE TABLE IF NOT EXISTS authgate_login_failures (
            username text NOT NULL, address text NOT NULL, failures integer NOT NULL,
            window_started_at double precision NOT NULL, PRIMARY KEY (username, address));
        COMMENT ON TABLE authgate_login_failures IS 'AuthGate login throttle: failed logins per username and client address';
        CREATE INDEX IF NOT EXISTS authgate_login_failures_window ON authgate_login_failures (window_started_at);
        """
    static let sqliteDDL = """
        CREATE TABLE IF NOT EXISTS authgate_login_failures (
            username TEXT NOT NULL, address TEXT NOT NULL, failures INTEGER NOT NULL,
            window_started_at REAL NOT NULL, PRIMARY KEY (username, address));
        CREATE INDEX IF NOT EXISTS authgate_login_failures_window ON authgate_login_failures (window_started_at);
        """
}
