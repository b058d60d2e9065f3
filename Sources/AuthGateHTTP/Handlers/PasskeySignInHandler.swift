import AuthGateCore
import AuthGateStore

/// `POST /auth/login/passkey` and `.../finish` (docs/mfa.md): a sign-in by
/// passkey alone, for API clients; the sign-in page offers the same
/// (`SignInHandler.passkey`). The options answer a single-use `state`;
/// the finish takes it back with the browser's answer and answers the
/// login body, tokens with `amr: ["hwk", "user"]`.
enum PasskeySignInHandler {
    @Sendable static func options(_ request: Request, _ context: Context) throws -> Response {
        let (publicKey, state) = try PasskeySignIn.options(context)
        return .json(200, [("publicKey", publicKey), ("state", .string(state))], headers: TokenIssuer.responseHeaders)
    }

    @Sendable static func finish(_ request: Request, _ context: Context) throws -> Response {
        _ = try SecondFactorKeys.forPasskeys(context)
        let body = try JSONBody(request)
        let assertion = try PasskeyAssertion(body.members["webauthn"])
        let user = try PasskeySignIn.verify(state: try body.string("state"), assertion: assertion, request, context)
        return try LoginHandler.answer(for: user, amr: PasskeySignIn.amr, context)
    }
}
