import AuthGateCore
import AuthGateStore
/// A login's password check, for the API (`POST /auth/login`) and the
/// sign-in form alike: one full hash verification whatever the outcome, so
/// neither the answer nor its timing tells which usernames exist. With the
/// opt-in throttle, a refused attempt is answered before any hashing, and
/// unknown users and wrong passwords are counted alike.
enum Credentials {
    /// The user whose password this is, and the second factors they must
    /// pass next (empty: none); `APIError.invalidCredentials`, the
    /// throttle's 429 or a store error otherwise.
    static func verify(username: String, password: String, _ request: Request, _ context: Context) throws -> (
        user: UserRecord, secondFactors: [String]
    ) {
        let throttle = try LoginThrottle(request, username: username, context: context)
        try throttle?.refuseIfThrottled(username: username, logger: request.logger)
        let user = try context.store.user(named: username)
        switch context.services.passwords.verify(password, against: user?.passwordHash, using: context.deriver) {
        case .match:
            break
        case .unreadable:
            request.logger.warning(
                "stored password hash is unreadable: unknown format, or a cost beyond Werkzeug's limits")
            try throttle?.recordFailure()
            throw APIError.invalidCredentials
        case .mismatch:
            try throttle?.recordFailure()
            throw APIError.invalidCredentials
        }
        guard let user else { throw APIError.invalidCredentials }
        // The hash check can wait in the KDF queue for seconds: a user
        // deleted meanwhile (and the name perhaps registered again) gets
        // no token. `delete-user` revokes tokens only after its delete, so
        // one issued past this check still falls before its not-before.
        guard try context.store.user(named: username)?.id == user.id else { throw APIError.invalidCredentials }
        // An enrolled user's count is cleared by the second step: wrong
        // codes must add up across password logins, not start over.
        let secondFactors = try SecondFactorCode.methods(of: user, context)
        if secondFactors.isEmpty { try throttle?.clear() }
        PasswordRehash.upgradeIfWeaker(user, password: password, context: context, logger: request.logger)
        return (user, secondFactors)
    }
}
