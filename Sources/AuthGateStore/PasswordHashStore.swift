/// Replacing a user's stored password hash (rehash on login).
public protocol PasswordHashStore: AnyObject {
    /// Sets the user's `password` to `newHash` only while it still is
    /// `oldHash` (a change made meanwhile wins); true when a row changed.
    func replacePasswordHash(userID: String, oldHash: String, newHash: String) throws -> Bool
}
