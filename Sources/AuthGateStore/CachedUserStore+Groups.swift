/// Group memberships are cached: `/auth/verify` reads them on every 200,
/// and one query per check would be the only database round trip left on
/// that path (everything else it reads is served from memory). They stay
/// current the way revocations do: the trigger on `authgate_user_groups`
/// NOTIFYs every responder of every change, whoever makes it (the admin
/// CLI, psql), each change drops every cached membership, and this
/// process's own writes drop them at once. While the listener is down
/// the cache is off and every read goes to the database.
extension CachedUserStore {
    package func groups(ofUserID userID: String) throws -> [String] {
        let key = Array(userID.utf8)
        switch cache.groups(ofUserID: key) {
        case .hit(let groups): return groups
        case .off: return try base.groups(ofUserID: userID)
        case .miss(let generation):
            let groups = try base.groups(ofUserID: userID)
            cache.store(groups: groups, ofUserID: key, generation: generation)
            return groups
        }
    }

    package func addToGroup(userID: String, group: String) throws -> Bool {
        defer { cache.groupsChanged() }
        return try base.addToGroup(userID: userID, group: group)
    }

    package func removeFromGroup(userID: String, group: String) throws -> Bool {
        defer { cache.groupsChanged() }
        return try base.removeFromGroup(userID: userID, group: group)
    }

    package func groupMemberCounts() throws -> [(group: String, members: Int)] { try base.groupMemberCounts() }
}
