import AuthGateCore
import AuthGateStore

/// A sign-in by passkey alone (docs/mfa.md): no username, no password.
/// The options carry a single-use `state` (no user in it); the answer
/// names its credential, whose user signs in, once the authenticator
/// verified the person (PIN or biometric: the `UV` flag) and every check
/// of a second-factor answer passed. Tokens carry `amr: ["hwk", "user"]`.
/// The state is used up only by an answer that checks out (so junk posts
/// with free states write nothing), and wrong answers do not count toward
/// the user's second-factor limit: credential ids are not secret, and a
/// signature cannot be guessed, so counting would only let anyone lock a
/// user out.
enum PasskeySignIn {
    static let amr = ["hwk", "user"]

    /// `navigator.credentials.get`'s options (no credential listed: the
    /// browser offers the site's discoverable passkeys) and the state.
    static func options(_ context: Context) throws -> (publicKey: JSONValue, state: String) {
        let (keys, settings) = try SecondFactorKeys.forPasskeys(context)
        let (ticket, state) = try MFAChallenge.issue(.passkeySignIn, for: nil, keys: keys, now: context.now)
        let publicKey: JSONValue = .object([
            "challenge": .string(Base64URL.encode(try ticket.passkeyChallenge(keys: keys))),
            "rpId": .string(settings.rpID), "allowCredentials": .array([]),
            "timeout": .number(Double(PasskeyRegistrationHandler.timeoutMilliseconds)),
            "userVerification": .string("required")
        ])
        return (publicKey, state)
    }

    /// The user whose passkey answered the state's challenge.
    static func verify(state: String, assertion: PasskeyAssertion, _ request: Request, _ context: Context) throws
        -> UserRecord
    {
        let (keys, settings) = try SecondFactorKeys.forPasskeys(context)
        guard let ticket = MFAChallenge.open(state, .passkeySignIn, keys: keys, now: context.now) else {
            throw SecondFactorError.invalidChallenge
        }
        guard let (stored, username) = try context.store.passkeyOwner(credentialID: assertion.encodedID),
            let user = try context.store.user(named: username), user.id == stored.userID
        else { throw SecondFactorError.invalidPasskey }
        if let handle = assertion.userHandle, handle != Array(user.id.utf8) { throw SecondFactorError.invalidPasskey }
        try SecondFactorLimit(userID: user.id, context).refuseIfReached(username: user.username, logger: request.logger)
        // The signature, then the counter (compare-and-set), then the
        // state: of two posts of one answer, one wins the counter or the state.
        guard
            try assertion.check(
                against: stored, challenge: try ticket.passkeyChallenge(keys: keys), settings: settings, context,
                logger: request.logger, requireUserVerification: true)
        else { throw SecondFactorError.invalidPasskey }
        guard try ticket.consume(context) else { throw SecondFactorError.invalidChallenge }
        return user
    }
}
