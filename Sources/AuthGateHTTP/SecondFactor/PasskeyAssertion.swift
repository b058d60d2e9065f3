import Logging
import AuthGateCore
import AuthGateStore

/// A passkey's answer to a challenge (`navigator.credentials.get`),
/// checked against a stored passkey: the ceremony's checks
/// (`WebAuthnCeremony.authenticate`), then the sign counter moved forward
/// in the store, compare-and-set, so two sign-ins racing with one answer
/// cannot both pass.
struct PasskeyAssertion {
    let credentialID: [UInt8]
    let clientDataJSON: [UInt8]
    let authenticatorData: [UInt8]
    let signature: [UInt8]
    /// The user id the authenticator holds for a discoverable passkey.
    let userHandle: [UInt8]?

    /// From `{"id", "response": {"clientDataJSON", "authenticatorData",
    /// "signature", "userHandle"?}}`.
    init(_ value: JSONValue?) throws(APIError) {
        let credential = try PasskeyJSON.object(value, "webauthn")
        credentialID = try PasskeyJSON.bytes(credential, "id")
        let response = try PasskeyJSON.object(credential["response"], "webauthn.response")
        clientDataJSON = try PasskeyJSON.bytes(response, "clientDataJSON")
        authenticatorData = try PasskeyJSON.bytes(response, "authenticatorData")
        signature = try PasskeyJSON.bytes(response, "signature")
        switch response["userHandle"] {
        case nil, .null?: userHandle = nil
        default: userHandle = try PasskeyJSON.bytes(response, "userHandle")
        }
    }

    var encodedID: String { Base64URL.encode(credentialID) }

    /// As a second factor: the answer of one of `userID`'s passkeys.
    func accept(for userID: String, challenge: [UInt8], settings: PasskeySettings, _ context: Context, logger: Logger)
        throws -> Bool
    {
        let id = encodedID
        guard
            let stored = try context.store.webAuthnCredentials(ofUserID: userID).first(where: { $0.credentialID == id })
        else { return false }
        return try check(against: stored, challenge: challenge, settings: settings, context, logger: logger)
    }

    /// Whether this answers `challenge` with `stored`'s key; moves its
    /// counter on when it does. `requireUserVerification`: a sign-in by
    /// passkey alone.
    func check(
        against stored: WebAuthnCredential, challenge: [UInt8], settings: PasskeySettings, _ context: Context,
        logger: Logger, requireUserVerification: Bool = false
    ) throws -> Bool {
        guard let spki = Base64URL.decode(Array(stored.publicKey.utf8)),
            let algorithm = WebAuthnKey.Algorithm(rawValue: stored.algorithm),
            let key = try? WebAuthnKey(spki: spki, algorithm: algorithm)
        else { return false }
        let count: UInt32
        do {
            count = try WebAuthnCeremony(rpID: settings.rpID, origin: settings.origin).authenticate(
                clientDataJSON: clientDataJSON, authenticatorData: authenticatorData, signature: signature,
                challenge: challenge, key: key, storedCount: UInt32(clamping: stored.signCount),
                requireUserVerification: requireUserVerification)
        } catch .counterNotIncreased {
            logger.warning(
                "passkey sign counter did not increase: the authenticator may be cloned",
                metadata: ["credential": "\(stored.credentialID)"])
            return false
        } catch {
            logger.notice("passkey assertion refused", metadata: ["reason": "\(error)"])
            return false
        }
        return try context.store.updateSignCount(
            credentialID: stored.credentialID, userID: stored.userID, from: stored.signCount, to: Int64(count))
    }
}
