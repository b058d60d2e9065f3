import AuthGateCore
import AuthGateStore

/// DELETE /auth/mfa/webauthn `{"id"}`: removes one of the user's passkeys
/// (its id as registration answered it, or as GET /auth/mfa lists it).
/// The user has a second factor, so the token must be fresh and from a
/// login that passed one (`SecondFactorChange`): a stolen password alone
/// cannot take a passkey away (the bar of adding one; removing TOTP also
/// asks for a code because a code is at hand, a second WebAuthn ceremony
/// would not be). The sessions the passkey may have opened end with it
/// (`SecondFactorChange.restartSessions`): the answer carries a new pair.
/// Passkeys need not be configured: a user can still remove one after
/// they were turned off.
enum PasskeyRemovalHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (user, _, amr) = try SecondFactorChange.authorize(request, context)
        let id = try JSONBody(request).string("id")
        guard try context.store.removeWebAuthnCredential(credentialID: id, userID: user.id) else {
            throw SecondFactorError.unknownPasskey
        }
        return try SecondFactorChange.removed(
            "webauthn", of: user, amr: amr, message: "Passkey removed", request, context)
    }
}
