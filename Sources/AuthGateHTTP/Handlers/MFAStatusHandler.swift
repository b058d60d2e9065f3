import AuthGateCore
import AuthGateStore

/// GET /auth/mfa: the user's own second factors, for an account page and
/// to name a passkey to remove: the methods a login offers, whether TOTP
/// is on, the recovery codes left and the passkeys (id, algorithm). Any
/// valid access token of the user; nothing secret is shown.
enum MFAStatusHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (_, user) = try Authenticator.authenticate(request, context, kind: .access)
        let totp = try context.store.totpEnrolment(ofUserID: user.id)?.confirmed == true
        let passkeys = try context.store.webAuthnCredentials(ofUserID: user.id)
        let methods = SecondFactorCode.methods(totp: totp, passkeys: !passkeys.isEmpty)
        let listed: [JSONValue] = passkeys.map {
            let algorithm = WebAuthnKey.Algorithm(rawValue: $0.algorithm)?.name ?? "unknown"
            return .object(["id": .string($0.credentialID), "algorithm": .string(algorithm)])
        }
        return .json(
            200,
            [
                ("methods", .array(methods.map { .string($0) })), ("totp", .bool(totp)),
                ("recovery_codes_left", .number(Double(try context.store.unusedRecoveryCodes(ofUserID: user.id)))),
                ("passkeys", .array(listed))
            ], headers: TokenIssuer.responseHeaders)
    }
}
