import Glibc
import Logging
import AuthGateCore
import AuthGateStore
import AuthGateHTTP

/// What `authgate create-user`, `delete-user` and `revoke-user` do, on a
/// store of their own. Register's rules and hash method apply, so a user
/// made here is one the API could have made.
public struct UserAdmin {
    let config: Config
    let store: any UserStore
    let clock: Clock
    /// `authgate.audit`: one line per group change (`UserAdmin+Groups`),
    /// at notice, as the service's audit events are.
    var auditLog = UserAdmin.defaultAuditLog()

    /// Opens the configured database; throws `StoreError.schema` naming the
    /// fix when its schema is not this build's.
    public init(config: Config, logger: Logger, clock: Clock = .system) throws {
        self.init(config: config, store: try config.database.openMigrated(logger: logger), clock: clock)
    }

    init(config: Config, store: any UserStore, clock: Clock) {
        self.config = config
        self.store = store
        self.clock = clock
    }

    /// Validates as register does, refuses taken names (under the username
    /// policy) before hashing, and lets the unique indexes settle a race. Returns the new user's id.
    @discardableResult
    public func createUser(username: String, email: String, password: String) throws -> String {
        do {
            try Validation.username(username)
            try Validation.email(email)
            try Validation.password(password)
        } catch {
            throw AdminError.invalid(error.message)
        }
        let policy = config.usernamePolicy
        if let conflict = try store.registrationConflict(username: username, email: email, policy: policy) {
            throw AdminError(conflict, username: username, email: email)
        }
        let hash = try WerkzeugHash.make(password: password, method: config.hashMethod)
        let id = try UUID4.make()
        if let conflict = try store.insertNewUser(
            id: id, username: username, email: email, passwordHash: hash,
            createdAt: Timestamp.format(clock.now()), policy: policy)
        {
            throw AdminError(conflict, username: username, email: email)
        }
        return id
    }

    /// Deletes the user, then refuses every token issued so far, as
    /// `revokeUser` does: a name registered again never inherits the old
    /// tokens. The not-before is taken after the delete, so a login racing
    /// it (which can no longer find the user) leaves no token behind.
    /// Returns the not-before.
    @discardableResult
    public func deleteUser(username: String) throws -> Int64 {
        guard try store.deleteUser(named: username) else { throw AdminError.noSuchUser(username) }
        do {
            return try revokeUser(username: username, requireUser: false)
        } catch {
            throw AdminError.deletedButNotRevoked(username, "\(error)")
        }
    }

    /// Refuses every token issued to `username` before now (`token_revoked`).
    /// The not-before is the next whole second, since tokens carry whole
    /// seconds: a token of this second may predate the call. Returns it
    /// once that second has come, so a token issued after this returns
    /// works. `requireUser` false also covers a name with no user now
    /// (`revoke-user --force`, and `deleteUser`).
    public func revokeUser(username: String, requireUser: Bool = true) throws -> Int64 {
        if requireUser, try !store.usernameExists(username) { throw AdminError.noSuchUser(username) }
        let now = clock.now()
        let notBefore = Self.notBefore(revokedAt: now)
        try store.revokeTokens(ofUser: username, issuedBefore: notBefore, now: now)
        Self.sleep(until: Double(notBefore))
        return notBefore
    }

    /// Waits until the wall clock reaches `time`: at most the one second
    /// `revokeUser` needs (a clock stepped back does not hold it longer).
    static func sleep(until time: Double) {
        let deadline = Clock.monotonic() + 1.5
        while Clock.system.now() < time && Clock.monotonic() < deadline { usleep(20_000) }
    }

    static func defaultAuditLog() -> Logger {
        var logger = Logger(label: "authgate.audit")
        logger.logLevel = .notice
        return logger
    }

    /// The first whole second a token may carry in `iat` and still be
    /// accepted: every token issued up to `time` has an `iat` below it.
    static func notBefore(revokedAt time: Double) -> Int64 {
        Int64(time.rounded(.down)) + 1
    }
}
