import Logging
import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateApp
import AuthGateTestSupport

/// `add-to-group`, `remove-from-group`, `list-groups` over the memory
/// store: names checked in one place, users named by username and kept
/// by id, every change audited.
@Suite struct GroupAdminTests {
    func admin() throws -> (UserAdmin, MemoryUserStore, LogCapture) {
        let config = try Config.load(
            environment: ["FLASK_SECRET_KEY": "s", "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"],
            dotEnv: [:], workingDirectory: "/nonexistent")
        let store = MemoryUserStore()
        store.users = [
            UserRecord(id: "id-alice", username: "alice", email: "a@x.io", passwordHash: "h"),
            UserRecord(id: "id-bob", username: "bob", email: "b@x.io", passwordHash: "h")
        ]
        let capture = LogCapture()
        var admin = UserAdmin(config: config, store: store, clock: TestClock(TestApp.now).clock)
        admin.auditLog = capture.logger
        return (admin, store, capture)
    }

    @Test func addsRemovesAndListsByUsername() throws {
        let (admin, store, _) = try admin()
        #expect(try admin.addToGroup(username: "alice", group: "ops"))
        #expect(try !admin.addToGroup(username: "alice", group: "ops"))
        #expect(try admin.addToGroup(username: "alice", group: "dev.team"))
        #expect(try admin.addToGroup(username: "bob", group: "ops"))
        #expect(store.memberships["id-alice"] == ["ops", "dev.team"])
        #expect(try admin.groups(of: "alice") == ["dev.team", "ops"])
        let counts = try admin.groupMemberCounts()
        #expect(counts.map(\.group) == ["dev.team", "ops"] && counts.map(\.members) == [1, 2])
        #expect(try admin.removeFromGroup(username: "alice", group: "ops"))
        #expect(try !admin.removeFromGroup(username: "alice", group: "ops"))
        #expect(try admin.groups(of: "alice") == ["dev.team"])
    }

    @Test func refusesBadGroupNamesAndUnknownUsersChangingNothing() throws {
        let (admin, store, capture) = try admin()
        for bad in ["", "a,b", "has space", String(repeating: "g", count: 65), "gr\u{FC}ppe"] {
            #expect(throws: AdminError.invalidGroup(bad)) { try admin.addToGroup(username: "alice", group: bad) }
            #expect(throws: AdminError.invalidGroup(bad)) { try admin.removeFromGroup(username: "alice", group: bad) }
        }
        #expect(throws: AdminError.noSuchUser("carol")) { try admin.addToGroup(username: "carol", group: "ops") }
        #expect(throws: AdminError.noSuchUser("ALICE")) { try admin.groups(of: "ALICE") }
        #expect(store.memberships.isEmpty && capture.entries.isEmpty)
        #expect(AdminError.invalidGroup("a,b").description.contains("A-Z a-z 0-9 . _ -"))
    }

    @Test func everyChangeIsAuditedWithWhetherItChangedAnything() throws {
        let (admin, _, capture) = try admin()
        try admin.addToGroup(username: "alice", group: "ops")
        try admin.addToGroup(username: "alice", group: "ops")
        try admin.removeFromGroup(username: "alice", group: "ops")
        let lines = capture.entries
        #expect(lines.count == 3 && lines.allSatisfy { $0.level == .notice && $0.message == "audit" })
        #expect(lines.map { $0.metadata["event"] } == ["group.add", "group.add", "group.remove"])
        #expect(lines.map { $0.metadata["changed"] } == ["true", "false", "true"])
        #expect(lines.allSatisfy { $0.metadata["username"] == "alice" && $0.metadata["group"] == "ops" })
    }

    @Test func aDeletedAndReRegisteredNameStartsWithNoGroup() throws {
        let (admin, store, _) = try admin()
        try admin.addToGroup(username: "alice", group: "ops")
        try admin.deleteUser(username: "alice")
        store.users.append(UserRecord(id: "id-alice-2", username: "alice", email: "a@x.io", passwordHash: "h"))
        #expect(try admin.groups(of: "alice") == [])
        #expect(try admin.groupMemberCounts().isEmpty)
    }
}
