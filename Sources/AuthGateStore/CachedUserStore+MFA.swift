/// Second factors are not cached: they are read only by a login that has
/// already paid for a password hash, and by the enrolment routes, and a
/// code used on one responder must be refused on every other at once.
extension CachedUserStore {
    package func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment? {
        try base.totpEnrolment(ofUserID: userID)
    }

    package func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool {
        try base.beginTOTP(userID: userID, sealedSecret: sealedSecret, now: now)
    }

    package func confirmTOTP(
        userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double
    ) throws -> Bool {
        try base.confirmTOTP(
            userID: userID, sealedSecret: sealedSecret, step: step, recoveryDigests: recoveryDigests, now: now)
    }

    package func useTOTPStep(userID: String, step: Int64) throws -> Bool {
        try base.useTOTPStep(userID: userID, step: step)
    }

    package func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool {
        try base.useRecoveryCode(userID: userID, digest: digest, now: now)
    }

    package func unusedRecoveryCodes(ofUserID userID: String) throws -> Int {
        try base.unusedRecoveryCodes(ofUserID: userID)
    }

    package func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential] {
        try base.webAuthnCredentials(ofUserID: userID)
    }

    package func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)? {
        try base.passkeyOwner(credentialID: credentialID)
    }

    package func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool {
        try base.addWebAuthnCredential(credential, now: now)
    }

    package func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool {
        try base.updateSignCount(credentialID: credentialID, userID: userID, from: old, to: new)
    }

    package func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool {
        try base.removeWebAuthnCredential(credentialID: credentialID, userID: userID)
    }

    package func removeTOTP(userID: String) throws -> Bool { try base.removeTOTP(userID: userID) }

    package func removeMFA(userID: String) throws -> Bool { try base.removeMFA(userID: userID) }
}
