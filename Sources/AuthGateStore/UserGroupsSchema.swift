/// The layout of `authgate_user_groups`, shared by both stores' migrations
/// (schema version 5). The primary key (user_id, group_name) is also the
/// index of the one read on the request path: a user's groups.
enum UserGroupsSchema {
    static let table = "authgate_user_groups"
    static let postgresDDL = """
        CREATE TABLE IF NOT EXISTS authgate_user_groups (
            user_id text NOT NULL, group_name text NOT NULL, PRIMARY KEY (user_id, group_name));
        COMMENT ON TABLE authgate_user_groups IS 'AuthGate groups: the groups of each user, by users.id';
        """
    static let sqliteDDL = """
        CREATE TABLE IF NOT EXISTS authgate_user_groups (
            user_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL, PRIMARY KEY (user_id, group_name));
        """
}
