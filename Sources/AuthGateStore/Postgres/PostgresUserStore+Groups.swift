import AuthGateCore

/// Group memberships on PostgreSQL (`UserGroupStore`): parameterised,
/// prepared once per connection like the rest of the store. A user's
/// groups are one read of the primary key's index.
extension PostgresUserStore {
    private enum GroupSQL {
        // COLLATE "C": byte order, whatever the database's collation.
        static let ofUser = PGStatement(
            name: "groups_of_user",
            sql: """
                SELECT group_name FROM authgate_user_groups WHERE user_id = $1 ORDER BY group_name COLLATE "C"
                """)
        // RETURNING tells whether this call added it; never re-sent, as a
        // second run would find the first's row and answer false.
        static let add = PGStatement(
            name: "groups_add",
            sql: """
                INSERT INTO authgate_user_groups (user_id, group_name) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1
                """, retry: .ifNeverSent)
        static let remove = PGStatement(
            name: "groups_remove",
            sql: """
                DELETE FROM authgate_user_groups WHERE user_id = $1 AND group_name = $2 RETURNING 1
                """, retry: .ifNeverSent)
        // Memberships of users deleted behind AuthGate's back (by Flask,
        // by SQL) are not counted: no present user holds them.
        static let counts = PGStatement(
            name: "groups_counts",
            sql: """
                SELECT g.group_name, count(*) FROM authgate_user_groups g JOIN users u ON u.id = g.user_id
                GROUP BY g.group_name ORDER BY g.group_name COLLATE "C"
                """)
    }

    // PostgreSQL text cannot hold NUL: such a value names no one.

    func groups(ofUserID userID: String) throws -> [String] {
        guard !userID.utf8.contains(0) else { return [] }
        return try db.execute(GroupSQL.ofUser, [userID]).map { try $0.string(at: 0) }
    }

    func addToGroup(userID: String, group: String) throws -> Bool {
        guard !userID.utf8.contains(0), !group.utf8.contains(0) else {
            throw StoreError.failed("a user id or group name cannot contain NUL")
        }
        return try !db.execute(GroupSQL.add, [userID, group]).isEmpty
    }

    func removeFromGroup(userID: String, group: String) throws -> Bool {
        guard !userID.utf8.contains(0), !group.utf8.contains(0) else { return false }
        return try !db.execute(GroupSQL.remove, [userID, group]).isEmpty
    }

    func groupMemberCounts() throws -> [(group: String, members: Int)] {
        try db.execute(GroupSQL.counts, []).map { (group: try $0.string(at: 0), members: try $0.int(at: 1)) }
    }
}
