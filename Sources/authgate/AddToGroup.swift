import ArgumentParser
import AuthGateApp
import AuthGateCore

struct AddToGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-to-group",
        abstract: "Add a user to a group (/auth/verify?allowed_groups= sees it on the next request).")

    @Argument(help: "The username (exact bytes).") var username: String
    @Argument(help: "The group: 1 to 64 characters of A-Z a-z 0-9 . _ -") var group: String

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let added = try admin.addToGroup(username: username, group: group)
            print(added ? "added \(username) to \(group)" : "\(username) is in \(group) already")
        } catch {
            throw fail("add-to-group: \(error)")
        }
    }
}
