import AuthGateCore
import AuthGateStore

/// The login-policy and group half of `VerifiedTokenMemoTests.NoStore`: every call fails.
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
}
