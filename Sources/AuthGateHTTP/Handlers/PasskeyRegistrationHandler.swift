import AuthGateCore
import AuthGateStore

/// `/auth/mfa/webauthn/register` (docs/mfa.md): a user with a fresh access
/// token asks for creation options (POST), runs
/// `navigator.credentials.create` with them, and sends the credential back
/// (POST .../finish) with the options' `state`. ES256 and EdDSA, no
/// attestation. The state is single-use and lives 5 minutes.
enum PasskeyRegistrationHandler {
    static let timeoutMilliseconds = 300_000

    @Sendable static func options(_ request: Request, _ context: Context) throws -> Response {
        let (keys, settings) = try SecondFactorKeys.forPasskeys(context)
        let (user, _, _) = try SecondFactorChange.authorize(request, context)
        let (ticket, state) = try MFAChallenge.issue(.passkeyCreate, for: user, keys: keys, now: context.now)
        let existing = try context.store.webAuthnCredentials(ofUserID: user.id)
        let publicKey: [String: JSONValue] = [
            "challenge": .string(Base64URL.encode(try ticket.passkeyChallenge(keys: keys))),
            "rp": .object(["id": .string(settings.rpID), "name": .string(settings.rpName)]),
            "user": .object([
                "id": .string(Base64URL.encode(Array(user.id.utf8))), "name": .string(user.username),
                "displayName": .string(user.username)
            ]),
            "pubKeyCredParams": .array(
                [WebAuthnKey.Algorithm.es256, .edDSA, .rs256].map {
                    .object(["type": .string("public-key"), "alg": .number(Double($0.rawValue))])
                }),
            "timeout": .number(Double(timeoutMilliseconds)),
            "attestation": .string("none"),
            "excludeCredentials": PasskeyJSON.credentialList(existing),
            // Discoverable and verified where the authenticator can: such a
            // passkey also signs in alone (`PasskeySignIn`).
            "authenticatorSelection": .object([
                "residentKey": .string("preferred"), "userVerification": .string("preferred")
            ])
        ]
        return .json(
            200, [("publicKey", .object(publicKey)), ("state", .string(state))], headers: TokenIssuer.responseHeaders)
    }

    /// A first factor restarts the user's sessions: the answer then
    /// carries new tokens (`amr` hwk).
    @Sendable static func finish(_ request: Request, _ context: Context) throws -> Response {
        let (keys, settings) = try SecondFactorKeys.forPasskeys(context)
        let (user, hadFactors, _) = try SecondFactorChange.authorize(request, context)
        let body = try JSONBody(request)
        let state = try body.string("state")
        let credential = try PasskeyJSON.object(body.members["credential"], "credential")
        let response = try PasskeyJSON.object(credential["response"], "credential.response")
        let clientData = try PasskeyJSON.bytes(response, "clientDataJSON")
        let attestation = try PasskeyJSON.bytes(response, "attestationObject")
        guard let ticket = MFAChallenge.open(state, .passkeyCreate, keys: keys, now: context.now),
            ticket.userID == user.id, try ticket.consume(context)
        else { throw SecondFactorError.invalidChallenge }
        let created: WebAuthnCeremony.NewCredential
        do {
            created = try WebAuthnCeremony(rpID: settings.rpID, origin: settings.origin).register(
                clientDataJSON: clientData, attestationObject: attestation,
                challenge: try ticket.passkeyChallenge(keys: keys))
        } catch {
            request.logger.notice("passkey registration refused", metadata: ["reason": "\(error)"])
            throw SecondFactorError.invalidPasskey
        }
        let row = WebAuthnCredential(
            userID: user.id, credentialID: Base64URL.encode(created.id), publicKey: Base64URL.encode(created.key.spki),
            algorithm: created.key.algorithm.rawValue, signCount: Int64(created.signCount))
        guard try context.store.addWebAuthnCredential(row, now: context.now) else {
            throw SecondFactorError.passkeyTaken
        }
        request.logger.notice(
            "second factor enabled", metadata: ["username": "\(user.username)", "method": "webauthn"])
        var members: [(String, JSONValue)] = [("message", .string("Passkey added")), ("id", .string(row.credentialID))]
        guard !hadFactors else { return .json(200, members) }
        let restarted = try SecondFactorChange.restartSessions(
            of: user, amr: SecondFactorCode.passwordAndPasskey, context)
        members.append(("tokens", restarted.tokens))
        return .json(200, members, headers: restarted.headers)
    }
}
