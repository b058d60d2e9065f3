import AuthGateCore
import AuthGateStore

/// Who may add or remove a second factor: the user of a fresh access
/// token (a password login, not a refresh), and, once the user has a
/// second factor, only a token whose login passed one (`amr`): a
/// password-only token (from before the enrolment, or from a Flask app
/// sharing the secret) must not be enough to add an attacker's factor or
/// take the user's away.
enum SecondFactorChange {
    static func authorize(_ request: Request, _ context: Context) throws -> (
        user: UserRecord, hadFactors: Bool, amr: [String]
    ) {
        let (claims, user) = try Authenticator.authenticate(request, context, kind: .access)
        guard claims.fresh else { throw FreshTokenRequired() }
        let hadFactors = try !SecondFactorCode.methods(of: user, context).isEmpty
        if hadFactors, !claims.hasSecondFactor { throw SecondFactorError.tokenWithoutSecondFactor }
        return (user, hadFactors, claims.amr ?? [])
    }

    /// After a user's first second factor: every token issued before now
    /// is refused (a session an attacker may hold must not outlive the
    /// upgrade), and the answer carries a new pair whose `amr` says it.
    /// The same after a factor is removed (a lost key, a phone in other
    /// hands): the sessions it opened end with it; the new pair keeps the
    /// `amr` of the token that removed it.
    static func restartSessions(of user: UserRecord, amr: [String], _ context: Context) throws -> (
        tokens: JSONValue, headers: [(name: String, value: String)]
    ) {
        try context.store.revokeTokens(ofUser: user.username, issuedBefore: Int64(context.now), now: context.now)
        return try LoginHandler.issue(for: user, amr: amr, context)
    }

    /// The answer once `method`'s factor is removed: logged, the sessions
    /// before it ended, `message` with the new pair.
    static func removed(
        _ method: String, of user: UserRecord, amr: [String], message: String, _ request: Request,
        _ context: Context
    ) throws -> Response {
        request.logger.notice(
            "second factor removed", metadata: ["username": "\(user.username)", "method": "\(method)"])
        let restarted = try restartSessions(of: user, amr: amr, context)
        return .json(200, [("message", .string(message)), ("tokens", restarted.tokens)], headers: restarted.headers)
    }
}
