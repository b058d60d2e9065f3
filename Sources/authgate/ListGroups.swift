import ArgumentParser
import AuthGateApp
import AuthGateCore

struct ListGroups: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-groups",
        abstract: "List a user's groups, one a line; without a user, every group and its member count.")

    @Argument(help: "The username (exact bytes).") var username: String?

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            if let username {
                for group in try admin.groups(of: username) { print(group) }
            } else {
                // Tab-separated: a group name never holds a tab.
                for (group, members) in try admin.groupMemberCounts() { print("\(group)\t\(members)") }
            }
        } catch {
            throw fail("list-groups: \(error)")
        }
    }
}
