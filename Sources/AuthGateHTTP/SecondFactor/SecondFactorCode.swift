import AuthGateCore
import AuthGateStore

/// Checking a code a user typed: a TOTP code of the current step (±1), or
/// one of their recovery codes. Each is accepted once: the store records
/// the step (a later one also retires every earlier step) or marks the
/// recovery code used, atomically, so two requests racing with one code
/// cannot both pass.
enum SecondFactorCode {
    /// What `amr` records for each way in (RFC 8176).
    static let passwordAndOTP = ["pwd", "otp"]
    /// "hwk": proof of possession of a hardware-secured key (a passkey).
    static let passwordAndPasskey = ["pwd", "hwk"]

    /// The methods the user has enabled, for `mfa_required`'s `methods`;
    /// empty when there is no confirmed TOTP and no passkey (a login then
    /// needs the password alone).
    static func methods(of user: UserRecord, _ context: Context) throws -> [String] {
        try methods(
            totp: context.store.totpEnrolment(ofUserID: user.id)?.confirmed == true,
            passkeys: !context.store.webAuthnCredentials(ofUserID: user.id).isEmpty)
    }

    /// The same from what the caller has read already.
    static func methods(totp: Bool, passkeys: Bool) -> [String] {
        (totp ? ["totp", "recovery_code"] : []) + (passkeys ? ["webauthn"] : [])
    }

    /// Whether `code` is a current TOTP code or an unused recovery code of
    /// the user's confirmed enrolment; accepting it uses it up.
    static func accept(_ code: String, for userID: String, keys: SecondFactorKeys, _ context: Context) throws -> Bool {
        guard let enrolment = try context.store.totpEnrolment(ofUserID: userID), enrolment.confirmed else {
            return false
        }
        if code.utf8.count == TOTP.digits {
            guard let secret = try openSecret(enrolment, userID: userID, keys: keys),
                let step = try TOTP.matchingStep(code, secret: secret, now: context.now)
            else { return false }
            return try context.store.useTOTPStep(userID: userID, step: step)
        }
        guard let normalized = RecoveryCodes.normalized(code) else { return false }
        let digest = try RecoveryCodes.digest(normalized, key: keys.recoveryKey)
        return try context.store.useRecoveryCode(userID: userID, digest: digest, now: context.now)
    }

    /// The TOTP secret of `enrolment`; nil (and never a crash) when it does
    /// not open: sealed under another key, or bound to another user.
    static func openSecret(_ enrolment: TOTPEnrolment, userID: String, keys: SecondFactorKeys) throws -> [UInt8]? {
        guard let sealed = Base64URL.decode(Array(enrolment.sealedSecret.utf8)) else { return nil }
        return keys.box.open(sealed, boundTo: secretContext(userID))
    }

    /// What a TOTP secret is sealed to: its purpose and its user, so that
    /// no other value sealed with the same key can pass for it.
    static func secretContext(_ userID: String) -> [UInt8] { Array("totp-secret\0".utf8) + Array(userID.utf8) }
}
