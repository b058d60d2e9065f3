import Glibc
import Glibc
import Logging

/// Persistence for users and revoked tokens. Each worker thread owns one
/// store (one database connection); implementations are not shared.
/// Usernames are compared as UTF-8 bytes, e-mails ignoring ASCII case only.
public protocol UserStore: AnyObject, LoginFailureStore, PasswordHashStore, UsernameKeyStore, UserGroupStore, MFAStore {
    /// Cheap round trip for `/healthz`; throws `StoreError.unavailable`.
    func ping() throws
    /// Inserts a user; throws `StoreError.uniqueViolation` on a taken
    /// username or e-mail. `createdAt` is UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
    func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws
    func user(named username: String) throws -> UserRecord?
    func usernameExists(_ username: String) throws -> Bool
    func emailExists(_ email: String) throws -> Bool
    /// One page in registration order: adopted rows (no `created_at`)
    /// first, then by `created_at`, ties by insertion order.
    func usersPage(limit: Int, offset: Int) throws -> [PublicUser]
    func userCount() throws -> Int
    /// Records a revoked token that expires at `expiresAt`; times in
    /// seconds since the epoch.
    func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws
    func isRevoked(jti: String) throws -> Bool
    /// Deletes revocations whose token expired before `cutoff`; returns how
    /// many. A token is accepted until exp + leeway, so callers pass
    /// now − leeway: a revocation must outlive every moment it could matter.
    func purgeRevocations(expiredBefore cutoff: Double) throws -> Int

    // Refresh rotation (docs/refresh-rotation.md) and the admin CLI (docs/admin.md).

    /// Records the revocation unless `jti` is revoked already: true when
    /// this call revoked it. The arbiter between two refreshes of one token.
    func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool
    /// Deletes the user, its group memberships and second factors; false when there was none.
    func deleteUser(named username: String) throws -> Bool
    /// Refuses every token of `username` whose `iat` is before `notBefore`
    /// (whole seconds since the epoch). A later call only moves it forward.
    func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws
    /// The user's not-before; nil when never revoked.
    func tokensNotBefore(ofUser username: String) throws -> Int64?
    /// Revokes every refresh token of `family`, kept until `expiresAt`
    /// (when the family's last token expires).
    func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws
    func isFamilyRevoked(_ family: String) throws -> Bool
    /// As `purgeRevocations`, for revoked families.
    func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int
}
