import ArgumentParser
import AuthGateApp
import AuthGateCore

struct RevokeUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-user",
        abstract: "Refuse every token issued to a user before now (401 token_revoked); later ones work.")

    @Argument(help: "The username (exact bytes).") var username: String
    @Flag(help: "Revoke even when no user has the name now (a deleted user's tokens, before the name is taken again).")
    var force = false

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let notBefore = try admin.revokeUser(username: username, requireUser: !force)
            print(
                "revoked every token of \(username) issued before \(Timestamp.format(Double(notBefore))) UTC (iat < \(notBefore))"
            )
        } catch AdminError.noSuchUser(let name) {
            throw fail("revoke-user: no user named \(name) (--force revokes the name's tokens all the same)")
        } catch {
            throw fail("revoke-user: \(error)")
        }
    }
}
