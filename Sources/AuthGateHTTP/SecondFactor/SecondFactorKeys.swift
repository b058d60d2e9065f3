import AuthGateCore

/// The keys second factors use, each derived from `Config.mfaKey` for one
/// purpose only: sealing TOTP secrets, keying recovery-code digests,
/// signing tickets (`MFAChallenge`), and deriving passkey challenges. Nil in `Services` when
/// there is no key: enrolment is then refused, and no user can be enrolled.
public struct SecondFactorKeys: Sendable {
    let box: MFASecretBox
    let recoveryKey: [UInt8]
    let challengeKey: [UInt8]
    /// Derives the WebAuthn challenges clients see; never signs a ticket.
    let passkeyChallengeKey: [UInt8]

    init?(_ config: Config) throws {
        guard !config.mfaKey.isEmpty else { return nil }
        box = try MFASecretBox.derive(fromServerSecret: config.mfaKey)
        recoveryKey = box.recoveryKey
        challengeKey = try Crypto.hmac(.sha256, key: config.mfaKey, data: Array("authgate-mfa-challenge-v1".utf8))
        passkeyChallengeKey = try Crypto.hmac(
            .sha256, key: config.mfaKey, data: Array("authgate-mfa-passkey-challenge-v1".utf8))
    }
}

extension SecondFactorKeys {
    /// The keys and the passkey settings; 404 while passkeys are off (no
    /// such path, as for the sign-in page without cookie mode), 501
    /// without a key.
    static func forPasskeys(_ context: Context) throws -> (SecondFactorKeys, PasskeySettings) {
        guard let settings = context.config.passkeys else { throw APIError.notFound }
        guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
        return (keys, settings)
    }
}
