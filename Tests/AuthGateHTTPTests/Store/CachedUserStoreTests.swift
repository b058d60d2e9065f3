import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// `CachedUserStore` over the in-memory store: which calls the cache
/// answers (counted on the store behind it), what reads through, and what
/// a write invalidates.
@Suite struct CachedUserStoreTests {
    func stores(enabled: Bool = true, revoked: [[UInt8]: Double] = [:]) -> (MemoryUserStore, CachedUserStore, ReadCache)
    {
        let base = MemoryUserStore()
        base.users = ["alice", "bob", "carol"].map {
            UserRecord(id: "id-\($0)", username: $0, email: "\($0)@x.io", passwordHash: "h")
        }
        let cache = ReadCache()
        if enabled { cache.enable(revoked: revoked) }
        return (base, CachedUserStore(base, cache: cache), cache)
    }

    @Test func repeatedReadsAreAnsweredFromMemory() throws {
        let (base, store, _) = stores()
        #expect(try store.user(named: "alice")?.id == "id-alice")
        #expect(try store.userCount() == 3)
        #expect(try store.usersPage(limit: 2, offset: 1).map(\.username) == ["bob", "carol"])
        let calls = base.calls
        #expect(calls == 3)
        for _ in 0..<5 {
            #expect(try store.user(named: "alice")?.id == "id-alice")
            #expect(try store.userCount() == 3)
            #expect(try store.usersPage(limit: 2, offset: 1).map(\.username) == ["bob", "carol"])
        }
        #expect(base.calls == calls)
    }

    @Test func anUnknownUserIsNotCached() throws {
        let (base, store, _) = stores()
        #expect(try store.user(named: "zed") == nil)
        base.users.append(UserRecord(id: "id-zed", username: "zed", email: "z@x.io", passwordHash: "h"))
        #expect(try store.user(named: "zed")?.id == "id-zed")
    }

    @Test func offReadsThroughEveryTime() throws {
        let (base, store, _) = stores(enabled: false)
        for round in 1...3 {
            _ = try store.user(named: "alice")
            _ = try store.userCount()
            _ = try store.usersPage(limit: 3, offset: 0)
            _ = try store.isRevoked(jti: "j")
            #expect(base.calls == round * 4)
        }
        base.users.removeAll()
        #expect(try store.user(named: "alice") == nil && store.userCount() == 0)
    }

    @Test func existsChecksAndPingAlwaysAskTheDatabase() throws {
        let (base, store, _) = stores()
        for round in 1...2 {
            #expect(try store.usernameExists("alice"))
            #expect(try store.emailExists("ALICE@x.io"))
            try store.ping()
            #expect(base.calls == round * 3)
        }
    }

    @Test func thisProcesssInsertInvalidates() throws {
        let (_, store, _) = stores()
        #expect(try store.userCount() == 3)
        _ = try store.usersPage(limit: 10, offset: 0)
        try store.insertUser(id: "id-dave", username: "dave", email: "d@x.io", passwordHash: "h", createdAt: "t")
        #expect(try store.userCount() == 4)
        #expect(try store.usersPage(limit: 10, offset: 0).map(\.username) == ["alice", "bob", "carol", "dave"])
    }

    /// The insert may have reached the database before it failed; the
    /// cache is dropped either way.
    @Test func aFailedInsertInvalidatesToo() throws {
        let (base, store, _) = stores()
        #expect(try store.userCount() == 3)
        base.beforeInsert = {
            base.users.append(UserRecord(id: "x", username: "x", email: "x@x.io", passwordHash: "h"))
        }
        #expect(throws: StoreError.self) {
            try store.insertUser(id: "id-2", username: "alice", email: "new@x.io", passwordHash: "h", createdAt: "t")
        }
        #expect(try store.userCount() == 4)
    }

    /// Another process's change arrives as a notification: `usersChanged`.
    @Test func aUsersNotificationInvalidates() throws {
        let (base, store, cache) = stores()
        #expect(try store.user(named: "alice")?.email == "alice@x.io")
        #expect(try store.userCount() == 3)
        base.users[0].email = "changed@x.io"
        base.users.removeLast()
        #expect(try store.user(named: "alice")?.email == "alice@x.io")  // still the cached row
        cache.usersChanged()
        #expect(try store.user(named: "alice")?.email == "changed@x.io")
        #expect(try store.userCount() == 2)
    }

    @Test func revocationsAreAnsweredFromTheSnapshotAndOwnWrites() throws {
        let (base, store, _) = stores(revoked: [Array("known".utf8): TestApp.now + 900])
        #expect(try store.isRevoked(jti: "known"))
        #expect(try !store.isRevoked(jti: "other"))
        #expect(base.calls == 0)
        try store.revoke(jti: "mine", type: "access", now: TestApp.now, expiresAt: TestApp.now + 900)
        #expect(base.revoked["mine"] == TestApp.now + 900)
        let calls = base.calls
        #expect(try store.isRevoked(jti: "mine"))
        #expect(base.calls == calls)
    }

    @Test func offRevocationsGoToTheDatabase() throws {
        let (base, store, cache) = stores(enabled: false)
        try store.revoke(jti: "j", type: "access", now: TestApp.now, expiresAt: TestApp.now + 900)
        #expect(try store.isRevoked(jti: "j"))
        #expect(base.calls == 2)
        // Nothing was kept while off: turned on with an empty snapshot it knows nothing of "j".
        cache.enable(revoked: [:])
        #expect(try !store.isRevoked(jti: "j"))
    }

    @Test func purgeKeepsRevocationsUntilTheCutoffInCacheAndDatabase() throws {
        let (base, store, cache) = stores(revoked: [Array("old".utf8): 100, Array("edge".utf8): 200])
        base.revoked = ["old": 100, "edge": 200]
        #expect(try store.purgeRevocations(expiredBefore: 200) == 1)
        #expect(base.revoked == ["edge": 200])
        #expect(cache.isRevoked(jti: "old") == false)
        #expect(cache.isRevoked(jti: "edge") == true)
    }

    @Test func aStoreErrorIsPassedOnAndNothingIsCached() throws {
        let (base, store, _) = stores()
        base.down = true
        #expect(throws: StoreError.self) { try store.userCount() }
        #expect(throws: StoreError.self) { try store.user(named: "alice") }
        base.down = false
        #expect(try store.userCount() == 3)
        #expect(try store.user(named: "alice") != nil)
    }

    /// Through the dispatcher: the users page is served from the cache,
    /// and a registration in this process shows at once.
    @Test func handlersSeeTheirOwnRegistrationAtOnce() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let app = try TestApp(cache: cache)
        try app.addUser()
        let token = try app.token()
        let first = app.send("GET", "/api/users/all", token: token)
        #expect(first.object?["total"] == .number(1))
        let calls = app.store.calls
        #expect(app.send("GET", "/api/users/all", token: token).object?["total"] == .number(1))
        #expect(app.store.calls == calls)  // revocation, user, count and page all from memory
        let register = app.send(
            "POST", "/auth/register", body: #"{"username": "bob", "email": "b@x.io", "password": "123456"}"#)
        #expect(register.status == 201)
        #expect(app.send("GET", "/api/users/all", token: token).object?["total"] == .number(2))
    }

    /// Logout in this process is seen at once, and its revocation outlives
    /// the token's exp by the leeway through a purge.
    @Test func aRevocationIsKeptUntilExpPlusLeeway() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:])
        let app = try TestApp(environment: ["FLASK_JWT_DECODE_LEEWAY": "60"], cache: cache)
        try app.addUser()
        let token = try app.token()  // exp = now + 900
        #expect(app.send("POST", "/auth/logout", token: token).status == 200)
        app.clock.now = TestApp.now + 900 + 30  // past exp, within the leeway
        #expect(try app.context.store.purgeRevocations(expiredBefore: app.clock.now - 60) == 0)
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.revoked)
        app.clock.now = TestApp.now + 900 + 61  // past exp + leeway: expired, and the revocation may go
        #expect(try app.context.store.purgeRevocations(expiredBefore: app.clock.now - 60) == 1)
        #expect(app.send("GET", "/auth/whoami", token: token).object == TokenBodies.expired)
    }
}
