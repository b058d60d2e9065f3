import ArgumentParser
import AuthGateApp
import AuthGateCore

struct RevokeUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-user",
        abstract: "Refuse every token issued to a user before now (401 token_revoked); later ones work.")

    @Argument(help: "The username (exact bytes).") var username: String

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let notBefore = try admin.revokeUser(username: username)
            print("revoked every token of \(username) issued before \(Timestamp.format(Double(notBefore))) UTC (iat < \(notBefore))")
        } catch {
            throw fail("revoke-user: \(error)")
        }
    }
}
