import ArgumentParser
import AuthGateApp
import AuthGateCore

struct RemoveFromGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-from-group",
        abstract: "Remove a user from a group (/auth/verify?allowed_groups= sees it on the next request).")

    @Argument(help: "The username (exact bytes).") var username: String
    @Argument(help: "The group.") var group: String

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let removed = try admin.removeFromGroup(username: username, group: group)
            print(removed ? "removed \(username) from \(group)" : "\(username) was not in \(group)")
        } catch {
            throw fail("remove-from-group: \(error)")
        }
    }
}
