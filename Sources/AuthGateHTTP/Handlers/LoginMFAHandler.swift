import AuthGateCore
import AuthGateStore

/// POST /auth/login/mfa `{"mfa_token", "code"}`: the second step of an
/// enrolled user's login. The challenge is used up by this attempt,
/// right or wrong (a wrong code means logging in again, so each guess
/// costs a password check), and a wrong code counts toward the login
/// throttle as a wrong password does. Success answers the login body,
/// with tokens whose `amr` records the second factor.
enum LoginMFAHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let body = try JSONBody(request)
        let user = try verify(mfaToken: try body.string("mfa_token"), code: try body.string("code"), request, context)
        return try LoginHandler.answer(for: user, amr: SecondFactorCode.passwordAndOTP, context)
    }

    /// The user whose challenge and code these are; `SecondFactorError`,
    /// the throttle's 429 or a store error otherwise. For this route and
    /// the sign-in page's second step alike.
    static func verify(mfaToken: String, code: String, _ request: Request, _ context: Context) throws -> UserRecord {
        guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
        guard let challenge = MFAChallenge.open(mfaToken, keys: keys, now: context.now) else {
            throw SecondFactorError.invalidChallenge
        }
        let throttle = try LoginThrottle(request, username: challenge.username, context: context)
        try throttle?.refuseIfThrottled(username: challenge.username, logger: request.logger)
        guard try challenge.consume(context) else { throw SecondFactorError.invalidChallenge }
        // The user may have been deleted (and the name taken again) since the password step.
        guard let user = try context.store.user(named: challenge.username), user.id == challenge.userID else {
            throw SecondFactorError.invalidChallenge
        }
        guard try SecondFactorCode.accept(code, for: user.id, keys: keys, context) else {
            try throttle?.recordFailure()
            throw SecondFactorError.invalidCode
        }
        try throttle?.clear()
        return user
    }
}
