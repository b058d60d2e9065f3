/// Second factors (docs/mfa.md) in AuthGate's own tables, keyed by user
/// id: `authgate_mfa_totp` (one TOTP secret per user, sealed by the
/// caller) and `authgate_mfa_recovery` (recovery codes, stored as keyed
/// digests). `users` is never changed, so a user without MFA has no row
/// and a Flask app sharing the table sees nothing new.
public protocol MFAStore: AnyObject {
    /// The user's TOTP enrolment, confirmed or not; nil when there is none.
    func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment?
    /// Stores a new, unconfirmed secret (replacing an unconfirmed one);
    /// false, changing nothing, when a confirmed one exists.
    func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool
    /// Confirms the unconfirmed enrolment holding `sealedSecret`, records
    /// `step` as used and replaces the recovery codes with `recoveryDigests`,
    /// all at once; false when that enrolment is no longer waiting.
    func confirmTOTP(userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double)
        throws -> Bool
    /// Records that a code of `step` was used; false when that step or a
    /// later one was used already (a replay), or there is no confirmed
    /// enrolment. The arbiter between two logins racing with one code.
    func useTOTPStep(userID: String, step: Int64) throws -> Bool
    /// Marks the recovery code used; false when it is unknown or used.
    func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool
    /// Recovery codes the user has left.
    func unusedRecoveryCodes(ofUserID userID: String) throws -> Int
    /// Removes the TOTP enrolment and the recovery codes; false when there
    /// was neither.
    func removeMFA(userID: String) throws -> Bool
}

/// One row of `authgate_mfa_totp`.
public struct TOTPEnrolment: Sendable, Equatable {
    /// The secret as `MFASecretBox` sealed it, base64url.
    public var sealedSecret: String
    public var confirmed: Bool
    /// The latest step whose code was accepted; -1 before any.
    public var lastStep: Int64

    public init(sealedSecret: String, confirmed: Bool, lastStep: Int64) {
        self.sealedSecret = sealedSecret
        self.confirmed = confirmed
        self.lastStep = lastStep
    }
}
