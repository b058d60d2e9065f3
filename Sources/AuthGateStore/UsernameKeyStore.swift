import AuthGateCore

/// The caseless username policy's record (`AUTHGATE_USERNAME_POLICY=
/// caseless`, docs/registration.md): the `UsernameFold` key of each user's
/// name in AuthGate's own table `authgate_username_keys`, whose primary
/// key refuses a second user with the same key, races included. The
/// `users` table is never changed for it.
public protocol UsernameKeyStore: AnyObject {
    /// Brings the keys up to date with `users`: records those of users
    /// added without one (by the Flask application, or while the policy
    /// was `exact`) and forgets those of users deleted. Look-alikes that
    /// already exist keep a single key, the first recorded (check-config
    /// reports them; nothing is rewritten).
    func syncUsernameKeys() throws
    /// Whether a present user's name has `key`.
    func usernameKeyTaken(_ key: String) throws -> Bool
    /// `insertUser` and the key of its name, as one: when the key is
    /// taken, neither is written and `StoreError.uniqueViolation` is thrown.
    /// Runs `syncUsernameKeys` first.
    func insertUser(
        id: String, username: String, email: String, passwordHash: String, createdAt: String,
        usernameKey: String) throws
    /// Every username in the table, for check-config's look-alike report.
    func allUsernames() throws -> [String]
}

extension UsernameKeyStore {
    /// The key of a name read from `users`; ICU failing is a server error.
    static func key(of username: String) throws -> String {
        guard let key = UsernameFold.key(username) else { throw StoreError.failed("Unicode folding is unavailable") }
        return key
    }
}
