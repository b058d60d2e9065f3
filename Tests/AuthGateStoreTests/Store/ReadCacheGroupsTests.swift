import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// Users' groups in the read cache: kept by user id while on, dropped
/// whole by any membership change, never stored from a read that raced one.
@Suite struct ReadCacheGroupsTests {
    let alice = Array("id-alice".utf8)

    @Test func offAnswersNothingAndStoresNothing() {
        let cache = ReadCache()
        cache.store(groups: ["ops"], ofUserID: alice, generation: 0)
        guard case .off = cache.groups(ofUserID: alice) else { Issue.record("answered while off"); return }
    }

    @Test func aMissIsStoredThenHit() {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        guard case .miss(let generation) = cache.groups(ofUserID: alice) else { Issue.record("no miss"); return }
        cache.store(groups: ["ops"], ofUserID: alice, generation: generation)
        guard case .hit(["ops"]) = cache.groups(ofUserID: alice) else { Issue.record("not kept"); return }
    }

    @Test func aChangeDropsEveryUsersGroups() {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        guard case .miss(let generation) = cache.groups(ofUserID: alice) else { return }
        cache.store(groups: ["ops"], ofUserID: alice, generation: generation)
        cache.groupsChanged()
        guard case .miss = cache.groups(ofUserID: alice) else { Issue.record("kept after a change"); return }
    }

    @Test func aReadThatRacedAChangeIsAnsweredButNotStored() {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        guard case .miss(let generation) = cache.groups(ofUserID: alice) else { return }
        cache.groupsChanged()  // lands between the database read and the store
        cache.store(groups: ["ops"], ofUserID: alice, generation: generation)
        guard case .miss = cache.groups(ofUserID: alice) else { Issue.record("stale value stored"); return }
    }

    @Test func usersChangesLeaveGroupsButReconnectingDropsThem() {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        guard case .miss(let generation) = cache.groups(ofUserID: alice) else { return }
        cache.store(groups: ["ops"], ofUserID: alice, generation: generation)
        cache.usersChanged()  // keyed by id: a users change says nothing about memberships
        guard case .hit(["ops"]) = cache.groups(ofUserID: alice) else { Issue.record("dropped"); return }
        cache.disable()
        cache.enable(revoked: [:])
        guard case .miss = cache.groups(ofUserID: alice) else { Issue.record("survived a reconnect"); return }
    }

    @Test func deletingAUserThroughTheCachedStoreDropsGroups() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let base = MemoryUserStore()
        base.users = [UserRecord(id: "id-alice", username: "alice", email: "a@x.io", passwordHash: "h")]
        base.memberships["id-alice"] = ["ops"]
        let store = CachedUserStore(base, cache: cache)
        #expect(try store.groups(ofUserID: "id-alice") == ["ops"])
        #expect(try store.deleteUser(named: "alice"))
        #expect(try store.groups(ofUserID: "id-alice") == [])
    }
}
