import Logging
import AuthGateCore
import AuthGateStore

/// A passkey's answer to a login's challenge (`navigator.credentials.get`),
/// checked against the user's stored passkeys: the ceremony's checks
/// (`WebAuthnCeremony.authenticate`), then the sign counter moved forward
/// in the store, compare-and-set, so two sign-ins racing with one answer
/// cannot both pass.
struct PasskeyAssertion {
    let credentialID: [UInt8]
    let clientDataJSON: [UInt8]
    let authenticatorData: [UInt8]
    let signature: [UInt8]

    /// From `{"id", "response": {"clientDataJSON", "authenticatorData", "signature"}}`.
    init(_ value: JSONValue?) throws(APIError) {
        let credential = try PasskeyJSON.object(value, "webauthn")
        credentialID = try PasskeyJSON.bytes(credential, "id")
        let response = try PasskeyJSON.object(credential["response"], "webauthn.response")
        clientDataJSON = try PasskeyJSON.bytes(response, "clientDataJSON")
        authenticatorData = try PasskeyJSON.bytes(response, "authenticatorData")
        signature = try PasskeyJSON.bytes(response, "signature")
    }

    func accept(for userID: String, challenge: [UInt8], settings: PasskeySettings, _ context: Context, logger: Logger)
        throws -> Bool
    {
        let id = Base64URL.encode(credentialID)
        guard
            let stored = try context.store.webAuthnCredentials(ofUserID: userID).first(where: { $0.credentialID == id }
            ),
            let spki = Base64URL.decode(Array(stored.publicKey.utf8)),
            let algorithm = WebAuthnKey.Algorithm(rawValue: stored.algorithm),
            let key = try? WebAuthnKey(spki: spki, algorithm: algorithm)
        else { return false }
        let count: UInt32
        do {
            count = try WebAuthnCeremony(rpID: settings.rpID, origin: settings.origin).authenticate(
                clientDataJSON: clientDataJSON, authenticatorData: authenticatorData, signature: signature,
                challenge: challenge, key: key, storedCount: UInt32(clamping: stored.signCount))
        } catch .counterNotIncreased {
            logger.warning(
                "passkey sign counter did not increase: the authenticator may be cloned",
                metadata: ["credential": "\(id)"])
            return false
        } catch {
            logger.notice("passkey assertion refused", metadata: ["reason": "\(error)"])
            return false
        }
        return try context.store.updateSignCount(
            credentialID: id, userID: userID, from: stored.signCount, to: Int64(count))
    }
}
