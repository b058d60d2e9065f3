import Logging
import AuthGateCore
import AuthGateStore

/// What `authgate add-to-group`, `remove-from-group` and `list-groups` do
/// (docs/admin.md, "Groups"). A user is named by username and kept by id,
/// so a name deleted and registered again starts with no group. Each
/// change is audited (`authgate.audit`, events `group.add` and
/// `group.remove`), whether or not it changed anything.
extension UserAdmin {
    /// True when added, false when the user was in the group already.
    @discardableResult
    public func addToGroup(username: String, group: String) throws -> Bool {
        let id = try memberID(username: username, group: group)
        let added = try store.addToGroup(userID: id, group: group)
        audit("group.add", username: username, group: group, changed: added)
        return added
    }

    /// True when removed, false when the user was not in the group.
    @discardableResult
    public func removeFromGroup(username: String, group: String) throws -> Bool {
        let id = try memberID(username: username, group: group)
        let removed = try store.removeFromGroup(userID: id, group: group)
        audit("group.remove", username: username, group: group, changed: removed)
        return removed
    }

    /// The user's groups, sorted.
    public func groups(of username: String) throws -> [String] {
        guard let user = try store.user(named: username) else { throw AdminError.noSuchUser(username) }
        return try store.groups(ofUserID: user.id)
    }

    /// Every group with its number of members, sorted by name.
    public func groupMemberCounts() throws -> [(group: String, members: Int)] {
        try store.groupMemberCounts()
    }

    /// The id of the user a membership command names, after checking the group name.
    private func memberID(username: String, group: String) throws -> String {
        guard GroupName.isValid(group) else { throw AdminError.invalidGroup(group) }
        guard let user = try store.user(named: username) else { throw AdminError.noSuchUser(username) }
        return user.id
    }

    private func audit(_ event: String, username: String, group: String, changed: Bool) {
        auditLog.notice(
            "audit",
            metadata: [
                "event": .string(event), "username": .string(username),
                "group": .string(group), "changed": .stringConvertible(changed)
            ])
    }
}
