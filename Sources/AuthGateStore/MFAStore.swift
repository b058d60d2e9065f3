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
    /// The user's passkeys, oldest first.
    func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential]
    /// The passkey with this credential id and its user's name, whoever
    /// the user is (a sign-in by passkey alone names no user first); nil
    /// when there is none, or its user is gone.
    func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)?
    /// Stores a new passkey; false when its credential id is registered
    /// already (to anyone).
    func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool
    /// Moves the passkey's sign counter from `old` to `new`; false when it
    /// is no longer `old` (another sign-in with it won the race).
    func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool
    /// Removes the user's passkey with this credential id; false when the
    /// user has none by that id (another user's is never touched).
    func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool
    /// Removes the TOTP enrolment and the recovery codes, not the passkeys;
    /// false when there was neither.
    func removeTOTP(userID: String) throws -> Bool
    /// Removes the TOTP enrolment, the passkeys and the recovery codes;
    /// false when there was none of them.
    func removeMFA(userID: String) throws -> Bool
}

/// One row of `authgate_mfa_webauthn`.
public struct WebAuthnCredential: Sendable, Equatable {
    public var userID: String
    /// The credential id, base64url.
    public var credentialID: String
    /// DER SubjectPublicKeyInfo, base64url.
    public var publicKey: String
    /// The COSE algorithm number (-7 ES256, -8 EdDSA, -257 RS256).
    public var algorithm: Int64
    public var signCount: Int64

    public init(userID: String, credentialID: String, publicKey: String, algorithm: Int64, signCount: Int64) {
        self.userID = userID
        self.credentialID = credentialID
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
    }
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

extension WebAuthnCredential {
    /// The columns both stores select for a passkey, in this order.
    static let columns = "w.user_id, w.credential_id, w.public_key, w.algorithm, w.sign_count"

    /// A row that starts with `columns`.
    init(row: Row) throws {
        self.init(
            userID: try row.string(at: 0), credentialID: try row.string(at: 1), publicKey: try row.string(at: 2),
            algorithm: Int64(try row.int(at: 3)), signCount: Int64(try row.int(at: 4)))
    }
}
