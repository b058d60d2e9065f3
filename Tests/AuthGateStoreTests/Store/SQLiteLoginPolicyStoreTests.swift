import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// `authgate_login_failures` and the hash replacement on a real SQLite
/// file: the window rules of `LoginFailureStore`, shared across connections.
@Suite struct SQLiteLoginPolicyStoreTests {
    @Test func failuresCountInOneWindowPerPair() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        #expect(try store.loginFailures(key: "alice", address: "10.0.0.1") == nil)
        try store.recordLoginFailure(key: "alice", address: "10.0.0.1", now: 1000.5, windowCutoff: 940.5)
        try store.recordLoginFailure(key: "alice", address: "10.0.0.1", now: 1010, windowCutoff: 950)
        try store.recordLoginFailure(key: "alice", address: "10.0.0.2", now: 1010, windowCutoff: 950)
        // Another connection (another responder) sees the same counts.
        let other = try db.sqliteStore(migrated: false)
        #expect(
            try other.loginFailures(key: "alice", address: "10.0.0.1")
                == LoginFailures(failures: 2, windowStartedAt: 1000.5))
        #expect(
            try other.loginFailures(key: "alice", address: "10.0.0.2")
                == LoginFailures(failures: 1, windowStartedAt: 1010))
        #expect(try other.loginFailures(key: "bob", address: "10.0.0.1") == nil)
    }

    @Test func aFailureAfterTheWindowOpensANewOne() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        for t in [1000.0, 1001, 1002] {
            try store.recordLoginFailure(key: "alice", address: "a", now: t, windowCutoff: t - 60)
        }
        // At 1060 the window opened at 1000 is over (1000 <= 1060 - 60).
        try store.recordLoginFailure(key: "alice", address: "a", now: 1060, windowCutoff: 1000)
        #expect(
            try store.loginFailures(key: "alice", address: "a") == LoginFailures(failures: 1, windowStartedAt: 1060))
    }

    @Test func clearAndPurge() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try store.recordLoginFailure(key: "alice", address: "a", now: 1000, windowCutoff: 0)
        try store.recordLoginFailure(key: "alice", address: "b", now: 1000, windowCutoff: 0)
        try store.recordLoginFailure(key: "bob", address: "a", now: 2000, windowCutoff: 0)
        try store.clearLoginFailures(key: "alice", address: "a")
        #expect(try store.loginFailures(key: "alice", address: "a") == nil)
        #expect(try store.loginFailures(key: "alice", address: "b") != nil)
        #expect(try store.purgeLoginFailures(windowStartedBefore: 1500) == 1)
        #expect(
            try db.scalar("SELECT group_concat(username || '|' || address) FROM authgate_login_failures") == "bob|a")
    }

    @Test func aHashIsReplacedOnlyWhileItIsStillTheOldOne() throws {
        let db = try SQLiteFixture()
        let store = try db.sqliteStore()
        try store.insertUser(
            id: "id-a", username: "a", email: "a@x.io", passwordHash: "old", createdAt: "2024-01-01 00:00:00.000000")
        #expect(try !store.replacePasswordHash(userID: "id-a", oldHash: "other", newHash: "new"))
        #expect(try store.user(named: "a")?.passwordHash == "old")
        #expect(try store.replacePasswordHash(userID: "id-a", oldHash: "old", newHash: "new"))
        #expect(try store.user(named: "a")?.passwordHash == "new")
        #expect(try !store.replacePasswordHash(userID: "id-a", oldHash: "old", newHash: "newer"))
    }

    @Test func aVersion1FileGetsTheTable() throws {
        let db = try SQLiteFixture()
        _ = try db.sqliteStore()
        try db.exec("DROP TABLE authgate_login_failures; PRAGMA user_version = 1")
        let store = try db.sqliteStore()
        try store.recordLoginFailure(key: "alice", address: "a", now: 1000, windowCutoff: 0)
        #expect(try db.scalar("PRAGMA user_version") == String(SQLiteSchema.version))
    }
}
