import AuthGateCore
import AuthGateStore

/// The login-policy, group and second-factor half of `VerifiedTokenMemoTests.NoStore`: every call fails.
extension VerifiedTokenMemoTests.NoStore {
    func loginFailures(key: String, address: String) throws -> LoginFailures? { throw StoreError.unavailable("test") }
    func recordLoginFailure(key: String, address: String, now: Double, windowCutoff: Double) throws {
        throw StoreError.unavailable("test")
    }
    func clearLoginFailures(key: String, address: String) throws { throw StoreError.unavailable("test") }
    func purgeLoginFailures(windowStartedBefore cutoff: Double) throws -> Int { throw StoreError.unavailable("test") }
    func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool {
        throw StoreError.unavailable("test")
    }
    func groups(ofUserID userID: String) throws -> [String] { throw StoreError.unavailable("test") }
    func addToGroup(userID: String, group: String) throws -> Bool { throw StoreError.unavailable("test") }
    func removeFromGroup(userID: String, group: String) throws -> Bool { throw StoreError.unavailable("test") }
    func groupMemberCounts() throws -> [(group: String, members: Int)] { throw StoreError.unavailable("test") }
    func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment? { throw StoreError.unavailable("test") }
    func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool {
        throw StoreError.unavailable("test")
    }
    func confirmTOTP(userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double)
        throws -> Bool
    { throw StoreError.unavailable("test") }
    func useTOTPStep(userID: String, step: Int64) throws -> Bool { throw StoreError.unavailable("test") }
    func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool {
        throw StoreError.unavailable("test")
    }
    func unusedRecoveryCodes(ofUserID userID: String) throws -> Int { throw StoreError.unavailable("test") }
    func removeMFA(userID: String) throws -> Bool { throw StoreError.unavailable("test") }
    func removeTOTP(userID: String) throws -> Bool { throw StoreError.unavailable("test") }
    func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool {
        throw StoreError.unavailable("test")
    }
    func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential] {
        throw StoreError.unavailable("test")
    }
    func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)? {
        throw StoreError.unavailable("test")
    }
    func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool {
        throw StoreError.unavailable("test")
    }
    func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool {
        throw StoreError.unavailable("test")
    }
}
