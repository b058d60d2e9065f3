import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// The read cache's not-befores and revoked families: complete while on,
/// silent while off, forward-only for local writes.
@Suite struct ReadCacheAdminTests {
    @Test func offAnswersNothing() {
        let cache = ReadCache()
        cache.userTokensRevoked("alice", notBefore: 5)
        cache.familyRevoked("f", expiresAt: 10)
        guard case .off = cache.tokensNotBefore(ofUser: "alice") else { Issue.record("answered while off"); return }
        #expect(cache.isFamilyRevoked("f") == nil)
    }

    @Test func onAnswersFromTheSnapshotAndLocalWrites() {
        let cache = ReadCache()
        cache.enable(revoked: [:], notBefore: [Array("alice".utf8): 100], revokedFamilies: [Array("f".utf8): 50])
        guard case .hit(100?) = cache.tokensNotBefore(ofUser: "alice"),
            case .hit(nil) = cache.tokensNotBefore(ofUser: "bob")
        else { Issue.record("wrong answers"); return }
        cache.userTokensRevoked("alice", notBefore: 90)  // never backwards
        guard case .hit(100?) = cache.tokensNotBefore(ofUser: "alice") else { Issue.record("moved back"); return }
        cache.replaceNotBefore([:])  // the listener read the table again: an operator deleted the row
        guard case .hit(nil) = cache.tokensNotBefore(ofUser: "alice") else { Issue.record("not replaced"); return }
        #expect(cache.isFamilyRevoked("f") == true && cache.isFamilyRevoked("g") == false)
        cache.familyRevoked("g", expiresAt: 70)
        cache.pruneFamilies(expiredBefore: 60)
        #expect(cache.isFamilyRevoked("f") == false && cache.isFamilyRevoked("g") == true)
    }

    @Test func disablingForgetsEverything() {
        let cache = ReadCache()
        cache.enable(revoked: [:], notBefore: [Array("alice".utf8): 100], revokedFamilies: [Array("f".utf8): 50])
        cache.disable()
        cache.enable(revoked: [:])
        guard case .hit(nil) = cache.tokensNotBefore(ofUser: "alice") else { Issue.record("kept"); return }
        #expect(cache.isFamilyRevoked("f") == false)
    }

    @Test func theCachedStoreWritesThroughAndReadsFromMemory() throws {
        let base = MemoryUserStore()
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let store = CachedUserStore(base, cache: cache)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 42, now: 41.5)
        try store.revokeFamily("f", username: "alice", now: 1, expiresAt: 99)
        #expect(base.notBefore["alice"] == 42 && base.revokedFamilies["f"] == 99)
        let calls = base.calls
        #expect(try store.tokensNotBefore(ofUser: "alice") == 42 && store.isFamilyRevoked("f"))
        #expect(base.calls == calls)
        #expect(try store.revokeIfLive(jti: "j", type: "refresh", now: 1, expiresAt: 2))
        #expect(try !store.revokeIfLive(jti: "j", type: "refresh", now: 1, expiresAt: 2))
        #expect(try store.isRevoked(jti: "j"))
    }
}
