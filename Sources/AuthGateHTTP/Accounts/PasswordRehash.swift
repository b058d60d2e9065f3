import Logging
import AuthGateCore
import AuthGateStore

/// Rehash on login (`AUTHGATE_REHASH_ON_LOGIN`, off by default so adopted
/// rows stay byte-identical): after a password matched, a stored hash
/// weaker than `FLASK_PASSWORD_HASH_METHOD` is replaced by a new one in
/// Werkzeug's format. Best effort: the login succeeds whatever happens here.
enum PasswordRehash {
    static func upgradeIfWeaker(_ user: UserRecord, password: String, context: Context, logger: Logger) {
        let configured = context.services.passwords.method
        guard context.config.rehashOnLogin, let stored = WerkzeugHash.method(of: user.passwordHash),
            stored.isWeaker(than: configured)
        else { return }
        do {
            let newHash = try context.services.passwords.hash(password, using: context.deriver)
            let replaced = try context.store.replacePasswordHash(
                userID: user.id, oldHash: user.passwordHash,
                newHash: newHash)
            logger.info(
                replaced ? "password rehashed" : "password rehash skipped: the hash changed meanwhile",
                metadata: ["username": "\(user.username)", "from": "\(stored)", "to": "\(configured)"])
        } catch {
            logger.warning(
                "password rehash failed; the old hash stays",
                metadata: ["username": "\(user.username)", "error": "\(error)"])
        }
    }
}
