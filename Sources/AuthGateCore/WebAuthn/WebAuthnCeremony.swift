/// The relying party's checks of WebAuthn Level 2 (§7.1 registration,
/// §7.2 authentication), for one origin and RP ID from the settings.
/// Attestation is not verified: registration asks for none, and only the
/// "none" format is accepted.
public struct WebAuthnCeremony: Sendable {
    public let rpID: String
    public let origin: String

    public init(rpID: String, origin: String) {
        self.rpID = rpID
        self.origin = origin
    }

    public struct NewCredential: Sendable, Equatable {
        public let id: [UInt8]
        public let key: WebAuthnKey
        public let signCount: UInt32
    }

    /// A registration's credential, once the client data names this
    /// ceremony (`webauthn.create`, `challenge`, the origin) and the
    /// authenticator data this RP, a present user and a key we can use.
    public func register(clientDataJSON: [UInt8], attestationObject: [UInt8], challenge: [UInt8])
        throws(WebAuthnError) -> NewCredential
    {
        try checkClientData(clientDataJSON, type: "webauthn.create", challenge: challenge)
        guard let attestation = try? CBORDecoder.decode(attestationObject) else {
            throw .malformed("attestation object")
        }
        guard attestation[text: "fmt"]?.textValue == "none", attestation[text: "attStmt"] == .map([]) else {
            throw .unsupportedAttestation
        }
        guard let authDataBytes = attestation[text: "authData"]?.bytesValue else { throw .malformed("authData") }
        let authData = try AuthenticatorData(authDataBytes)
        try checkRelyingParty(authData)
        guard let id = authData.credentialID, let cose = authData.credentialKey else {
            throw .malformed("no attested credential")
        }
        return NewCredential(id: id, key: try WebAuthnKey(cose: cose), signCount: authData.signCount)
    }

    /// An assertion's new sign counter, once the client data names this
    /// ceremony (`webauthn.get`), the authenticator data this RP and a
    /// present user, the signature over `authenticatorData ‖
    /// SHA-256(clientDataJSON)` is `key`'s, and the counter moved forward
    /// from `storedCount` (both 0: an authenticator without a counter).
    /// `requireUserVerification`: a sign-in by passkey alone, where the
    /// authenticator's PIN or biometric stands in for the password.
    public func authenticate(
        clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], challenge: [UInt8],
        key: WebAuthnKey, storedCount: UInt32, requireUserVerification: Bool = false
    ) throws(WebAuthnError) -> UInt32 {
        try checkClientData(clientDataJSON, type: "webauthn.get", challenge: challenge)
        let authData = try AuthenticatorData(authenticatorData)
        try checkRelyingParty(authData)
        if requireUserVerification, !authData.userVerified { throw .userNotVerified }
        guard let hash = try? Crypto.sha256(clientDataJSON), key.verifies(signature, over: authenticatorData + hash)
        else { throw .badSignature }
        if authData.signCount != 0 || storedCount != 0, authData.signCount <= storedCount {
            throw .counterNotIncreased
        }
        return authData.signCount
    }

    private func checkClientData(_ json: [UInt8], type: String, challenge: [UInt8]) throws(WebAuthnError) {
        guard case .object(let data)? = try? JSONParser.parse(json) else { throw .malformed("clientDataJSON") }
        guard data["type"]?.stringValue == type else { throw .wrongType }
        guard let sent = data["challenge"]?.stringValue.flatMap({ Base64URL.decode(Array($0.utf8)) }),
            Crypto.constantTimeEqual(sent, challenge)
        else { throw .wrongChallenge }
        guard data["origin"]?.stringValue == origin else { throw .wrongOrigin }
        // A ceremony run inside another site's frame is not this site's.
        if case .bool(true)? = data["crossOrigin"] { throw .wrongOrigin }
    }

    private func checkRelyingParty(_ authData: AuthenticatorData) throws(WebAuthnError) {
        guard let expected = try? Crypto.sha256(Array(rpID.utf8)),
            Crypto.constantTimeEqual(authData.rpIDHash, expected)
        else { throw .wrongRelyingParty }
        guard authData.userPresent else { throw .userNotPresent }
    }
}
