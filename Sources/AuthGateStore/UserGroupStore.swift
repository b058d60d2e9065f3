/// Group memberships (docs/admin.md, "Groups") in AuthGate's own table
/// `authgate_user_groups`, keyed by user id: the `users` table is never
/// changed for them, and a name deleted and registered again inherits no
/// group (its new user has a new id). Names are checked by the caller
/// (`GroupName`); the store keeps what it is given.
public protocol UserGroupStore: AnyObject {
    /// The user's groups, sorted by their bytes.
    func groups(ofUserID userID: String) throws -> [String]
    /// Adds the membership; false when it was there already.
    func addToGroup(userID: String, group: String) throws -> Bool
    /// Removes the membership; false when there was none.
    func removeFromGroup(userID: String, group: String) throws -> Bool
    /// Every group with its number of members that are present users,
    /// sorted by name; groups with none left are not listed.
    func groupMemberCounts() throws -> [(group: String, members: Int)]
}
