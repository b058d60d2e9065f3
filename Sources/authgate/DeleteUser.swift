import ArgumentParser
import AuthGateApp
import AuthGateCore

struct DeleteUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-user",
        abstract: "Delete a user; their tokens then answer 401 user_not_found.")

    @Argument(help: "The username (exact bytes).") var username: String
    @Flag(help: "Also refuse every token issued so far (token_revoked), even if the name is registered again.")
    var revokeTokens = false

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            try admin.deleteUser(username: username, revokeTokens: revokeTokens)
            print("deleted user \(username)")
        } catch {
            throw fail("delete-user: \(error)")
        }
    }
}
