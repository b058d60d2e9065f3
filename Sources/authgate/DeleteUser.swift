import ArgumentParser
import AuthGateApp
import AuthGateCore

struct DeleteUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-user",
        abstract: "Delete a user and refuse every token issued to the name so far (401 token_revoked).")

    @Argument(help: "The username (exact bytes).") var username: String
    /// What delete-user always does now; still accepted so scripts written
    /// for the first admin CLI keep running.
    @Flag(help: .hidden) var revokeTokens = false

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let notBefore = try admin.deleteUser(username: username)
            print(
                "deleted user \(username); every token issued to the name before \(Timestamp.format(Double(notBefore))) UTC is revoked (iat < \(notBefore))"
            )
        } catch {
            throw fail("delete-user: \(error)")
        }
    }
}
