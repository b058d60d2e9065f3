import AuthGateCore
import AuthGateStore

/// POST /auth/login/mfa: the second step of an enrolled user's login,
/// `{"mfa_token", "code"}` (a TOTP or recovery code) or `{"mfa_token",
/// "webauthn": {...}}` (a passkey's answer to the options of
/// `POST /auth/login/mfa/webauthn`). The challenge is used up by this
/// attempt, right or wrong (a wrong answer means logging in again, so
/// each guess costs a password check), and a wrong answer counts toward
/// the login throttle as a wrong password does. Success answers the
/// login body, with tokens whose `amr` records the second factor.
enum LoginMFAHandler {
    enum Proof {
        case code(String)
        case passkey(PasskeyAssertion)
    }

    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let body = try JSONBody(request)
        let proof: Proof =
            body.members["webauthn"] != nil
            ? .passkey(try PasskeyAssertion(body.members["webauthn"])) : .code(try body.string("code"))
        let (user, amr) = try verify(mfaToken: try body.string("mfa_token"), proof: proof, request, context)
        return try LoginHandler.answer(for: user, amr: amr, context)
    }

    /// POST /auth/login/mfa/webauthn `{"mfa_token"}`: the options for
    /// `navigator.credentials.get`. The challenge is derived from the
    /// `mfa_token`, which this leaves unused.
    @Sendable static func passkeyOptions(_ request: Request, _ context: Context) throws -> Response {
        let (keys, settings) = try SecondFactorKeys.forPasskeys(context)
        let token = try JSONBody(request).string("mfa_token")
        guard let challenge = MFAChallenge.open(token, keys: keys, now: context.now) else {
            throw SecondFactorError.invalidChallenge
        }
        guard let options = try passkeyRequestOptions(for: challenge, keys: keys, settings: settings, context) else {
            throw SecondFactorError.notEnrolled
        }
        return .json(200, [("publicKey", options)], headers: TokenIssuer.responseHeaders)
    }

    /// `navigator.credentials.get`'s options for the login `challenge`
    /// belongs to; nil when its user has no passkey. For this route and
    /// the sign-in page's second step.
    static func passkeyRequestOptions(
        for challenge: MFAChallenge, keys: SecondFactorKeys, settings: PasskeySettings, _ context: Context
    ) throws -> JSONValue? {
        let credentials = try context.store.webAuthnCredentials(ofUserID: challenge.userID)
        guard !credentials.isEmpty else { return nil }
        return .object([
            "challenge": .string(Base64URL.encode(try challenge.passkeyChallenge(keys: keys))),
            "rpId": .string(settings.rpID),
            "allowCredentials": PasskeyJSON.credentialList(credentials),
            "timeout": .number(Double(PasskeyRegistrationHandler.timeoutMilliseconds)),
            "userVerification": .string("discouraged")
        ])
    }

    /// The user whose challenge and proof these are, and the `amr` their
    /// tokens carry; `SecondFactorError`, the throttle's 429 or a store
    /// error otherwise. For this route and the sign-in page's second step.
    static func verify(mfaToken: String, proof: Proof, _ request: Request, _ context: Context) throws -> (
        UserRecord, [String]
    ) {
        guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
        guard let challenge = MFAChallenge.open(mfaToken, keys: keys, now: context.now) else {
            throw SecondFactorError.invalidChallenge
        }
        let throttle = try LoginThrottle(request, username: challenge.username, context: context)
        try throttle?.refuseIfThrottled(username: challenge.username, logger: request.logger)
        let limit = SecondFactorLimit(userID: challenge.userID, context)
        try limit.refuseIfReached(username: challenge.username, logger: request.logger)
        guard try challenge.consume(context) else { throw SecondFactorError.invalidChallenge }
        // The user may have been deleted (and the name taken again) since the password step.
        guard let user = try context.store.user(named: challenge.username), user.id == challenge.userID else {
            throw SecondFactorError.invalidChallenge
        }
        let amr: [String]
        switch proof {
        case .code(let code):
            guard try SecondFactorCode.accept(code, for: user.id, keys: keys, context) else {
                try throttle?.recordFailure()
                try limit.recordFailure()
                throw SecondFactorError.invalidCode
            }
            amr = SecondFactorCode.passwordAndOTP
        case .passkey(let assertion):
            guard let settings = context.config.passkeys,
                try assertion.accept(
                    for: user.id, challenge: try challenge.passkeyChallenge(keys: keys), settings: settings, context,
                    logger: request.logger)
            else {
                try throttle?.recordFailure()
                try limit.recordFailure()
                throw SecondFactorError.invalidPasskey
            }
            amr = SecondFactorCode.passwordAndPasskey
        }
        try throttle?.clear()
        try limit.clear()
        return (user, amr)
    }
}
