import Logging
import AuthGateCore
import AuthGateStore

/// What `authgate mfa-status` and `mfa-reset` do (docs/mfa.md). A reset
/// is the way back for a user who lost their authenticator and their
/// recovery codes: it removes the TOTP secret, the codes and the passkeys, so the
/// password alone logs in again until they enrol anew. Audited
/// (`authgate.audit`, event `mfa.reset`), whether or not it changed anything.
extension UserAdmin {
    public struct MFAStatus: Equatable, Sendable {
        /// "none", "waiting" (enrolment begun, never confirmed) or "totp".
        public var state: String
        public var recoveryCodesLeft: Int
        public var passkeys: Int
    }

    public func mfaStatus(of username: String) throws -> MFAStatus {
        guard let user = try store.user(named: username) else { throw AdminError.noSuchUser(username) }
        let enrolment = try store.totpEnrolment(ofUserID: user.id)
        let state = enrolment.map { $0.confirmed ? "totp" : "waiting" } ?? "none"
        return MFAStatus(
            state: state, recoveryCodesLeft: try store.unusedRecoveryCodes(ofUserID: user.id),
            passkeys: try store.webAuthnCredentials(ofUserID: user.id).count)
    }

    /// True when something was removed.
    @discardableResult
    public func mfaReset(username: String) throws -> Bool {
        guard let user = try store.user(named: username) else { throw AdminError.noSuchUser(username) }
        let removed = try store.removeMFA(userID: user.id)
        auditLog.notice(
            "audit",
            metadata: [
                "event": "mfa.reset", "username": .string(username), "changed": .stringConvertible(removed)
            ])
        return removed
    }
}
