/// Group memberships on SQLite (`UserGroupStore`). Names compare with the
/// BINARY collation (bytes), as usernames do; a user's groups are one
/// read of the primary key's index.
extension SQLiteUserStore {
    func groups(ofUserID userID: String) throws -> [String] {
        try db.execute(
            "SELECT group_name FROM authgate_user_groups WHERE user_id = ? ORDER BY group_name",
            [userID]
        ).map { try $0.string(at: 0) }
    }

    func addToGroup(userID: String, group: String) throws -> Bool {
        // One connection per thread: `changes` is this statement's count.
        try db.execute(
            "INSERT OR IGNORE INTO authgate_user_groups (user_id, group_name) VALUES (?, ?)",
            [userID, group])
        return db.changes == 1
    }

    func removeFromGroup(userID: String, group: String) throws -> Bool {
        try db.execute("DELETE FROM authgate_user_groups WHERE user_id = ? AND group_name = ?", [userID, group])
        return db.changes > 0
    }

    /// Memberships of users deleted behind AuthGate's back are not counted.
    func groupMemberCounts() throws -> [(group: String, members: Int)] {
        try db.execute(
            """
            SELECT g.group_name, count(*) FROM authgate_user_groups g JOIN users u ON u.id = g.user_id
            GROUP BY g.group_name ORDER BY g.group_name
            """, []
        ).map { (group: try $0.string(at: 0), members: try $0.int(at: 1)) }
    }
}
