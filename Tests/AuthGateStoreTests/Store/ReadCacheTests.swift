import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// `ReadCache` on its own: off until enabled, misses carry a generation,
/// a store under an old generation is dropped, revocations prune at the
/// cutoff, and the maps are bounded.
@Suite struct ReadCacheTests {
    static let alice = UserRecord(id: "1", username: "alice", email: "a@x.io", passwordHash: "h")
    let key = Array("alice".utf8)

    func isHit<T>(_ lookup: ReadCache.Lookup<T>) -> Bool { if case .hit = lookup { true } else { false } }
    func isOff<T>(_ lookup: ReadCache.Lookup<T>) -> Bool { if case .off = lookup { true } else { false } }
    func generation<T>(_ lookup: ReadCache.Lookup<T>) -> UInt64? {
        if case .miss(let g) = lookup { g } else { nil }
    }

    @Test func offUntilEnabledAndNothingIsKept() {
        let cache = ReadCache()
        #expect(!cache.isEnabled)
        #expect(isOff(cache.user(named: key)) && isOff(cache.count()) && isOff(cache.page(limit: 3, offset: 0)))
        #expect(cache.isRevoked(jti: "j") == nil)
        cache.store(user: Self.alice, as: key, generation: 0)
        cache.store(count: 1, generation: 0)
        cache.revoked(jti: "j", expiresAt: 10)
        cache.enable(revoked: [:])
        #expect(!isHit(cache.user(named: key)) && !isHit(cache.count()))
        #expect(cache.isRevoked(jti: "j") == false)
    }

    @Test func aMissThenAStoreIsAHit() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let g = try #require(generation(cache.user(named: key)))
        cache.store(user: Self.alice, as: key, generation: g)
        guard case .hit(let user) = cache.user(named: key) else { Issue.record("no hit"); return }
        #expect(user == Self.alice)

        let c = try #require(generation(cache.count()))
        cache.store(count: 5, generation: c)
        guard case .hit(5) = cache.count() else { Issue.record("no count hit"); return }

        let p = try #require(generation(cache.page(limit: 3, offset: 0)))
        let page = [PublicUser(id: "1", username: "alice", email: "a@x.io")]
        cache.store(page: page, limit: 3, offset: 0, generation: p)
        guard case .hit(let cached) = cache.page(limit: 3, offset: 0) else { Issue.record("no page hit"); return }
        #expect(cached == page)
        // Another (limit, offset) is another page.
        #expect(!isHit(cache.page(limit: 3, offset: 3)) && !isHit(cache.page(limit: 4, offset: 0)))
    }

    @Test func usernamesAreKeyedByTheirBytes() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let composed = Array("\u{E9}".utf8), decomposed = Array("e\u{301}".utf8)
        let g = try #require(generation(cache.user(named: composed)))
        cache.store(user: Self.alice, as: composed, generation: g)
        #expect(isHit(cache.user(named: composed)))
        #expect(!isHit(cache.user(named: decomposed)))
    }

    @Test func usersChangedDropsEverythingUserShaped() throws {
        let cache = ReadCache()
        cache.enable(revoked: [Array("j".utf8): 100])
        cache.store(user: Self.alice, as: key, generation: try #require(generation(cache.user(named: key))))
        cache.store(count: 1, generation: try #require(generation(cache.count())))
        cache.store(
            page: [], limit: 3, offset: 0, generation: try #require(generation(cache.page(limit: 3, offset: 0))))
        cache.usersChanged()
        #expect(!isHit(cache.user(named: key)) && !isHit(cache.count()) && !isHit(cache.page(limit: 3, offset: 0)))
        #expect(cache.isRevoked(jti: "j") == true)  // revocations are not user-shaped
    }

    /// A read that started before a change must not be cached after it.
    @Test func aStoreUnderAnOldGenerationIsDropped() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let user = try #require(generation(cache.user(named: key)))
        let count = try #require(generation(cache.count()))
        let page = try #require(generation(cache.page(limit: 3, offset: 0)))
        cache.usersChanged()
        cache.store(user: Self.alice, as: key, generation: user)
        cache.store(count: 1, generation: count)
        cache.store(page: [], limit: 3, offset: 0, generation: page)
        #expect(!isHit(cache.user(named: key)) && !isHit(cache.count()) && !isHit(cache.page(limit: 3, offset: 0)))
        let fresh = try #require(generation(cache.count()))
        #expect(fresh != count)
        cache.store(count: 2, generation: fresh)
        #expect(isHit(cache.count()))
    }

    @Test func turningOffEmptiesAndBumpsTheGeneration() throws {
        let cache = ReadCache()
        cache.enable(revoked: [Array("j".utf8): 100])
        let before = try #require(generation(cache.count()))
        cache.disable()
        #expect(!cache.isEnabled && cache.isRevoked(jti: "j") == nil)
        cache.store(count: 1, generation: before)
        cache.enable(revoked: [:])
        #expect(cache.isRevoked(jti: "j") == false)
        #expect(!isHit(cache.count()))
        #expect(generation(cache.count()) != before)
    }

    @Test func revocationsAreTheCompleteSetWhileOn() {
        let cache = ReadCache()
        cache.enable(revoked: [Array("a".utf8): 100])
        #expect(cache.isRevoked(jti: "a") == true)
        #expect(cache.isRevoked(jti: "b") == false)
        cache.revoked(jti: "b", expiresAt: 200)
        #expect(cache.isRevoked(jti: "b") == true)
    }

    /// A token is accepted until exp + leeway; its revocation must be kept
    /// until the cutoff (now − leeway) passes its exp.
    @Test func pruneForgetsOnlyRevocationsExpiredBeforeTheCutoff() {
        let cache = ReadCache()
        cache.enable(revoked: [Array("old".utf8): 99.5, Array("edge".utf8): 100, Array("live".utf8): 500])
        cache.pruneRevocations(expiredBefore: 100)
        #expect(cache.isRevoked(jti: "old") == false)
        #expect(cache.isRevoked(jti: "edge") == true)
        #expect(cache.isRevoked(jti: "live") == true)
    }

    @Test func theUsersMapIsBounded() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        for i in 0..<ReadCache.maxUsers {
            let name = Array("u\(i)".utf8)
            cache.store(user: Self.alice, as: name, generation: try #require(generation(cache.user(named: name))))
        }
        #expect(isHit(cache.user(named: Array("u0".utf8))))
        let extra = Array("one-more".utf8)
        cache.store(user: Self.alice, as: extra, generation: try #require(generation(cache.user(named: extra))))
        #expect(isHit(cache.user(named: extra)))
        #expect(!isHit(cache.user(named: Array("u0".utf8))))
    }

    @Test func thePagesMapIsBounded() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        for offset in 0..<ReadCache.maxPages {
            cache.store(
                page: [], limit: 1, offset: offset,
                generation: try #require(generation(cache.page(limit: 1, offset: offset))))
        }
        #expect(isHit(cache.page(limit: 1, offset: 0)))
        cache.store(
            page: [], limit: 2, offset: 0, generation: try #require(generation(cache.page(limit: 2, offset: 0))))
        #expect(isHit(cache.page(limit: 2, offset: 0)))
        #expect(!isHit(cache.page(limit: 1, offset: 0)))
    }
}
