import ArgumentParser
import AuthGateApp
import AuthGateCore

struct MFAStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfa-status",
        abstract:
            "Show a user's second factors: TOTP none, waiting (not confirmed) or totp; recovery codes left; passkeys.")

    @Argument(help: "The username (exact bytes).") var username: String

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let status = try admin.mfaStatus(of: username)
            print(
                "\(username): \(status.state), \(status.recoveryCodesLeft) recovery codes left, \(status.passkeys) passkeys"
            )
        } catch {
            throw fail("mfa-status: \(error)")
        }
    }
}

struct MFAResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfa-reset",
        abstract: "Remove a user's TOTP, recovery codes and passkeys (audited): the password alone logs in again.")

    @Argument(help: "The username (exact bytes).") var username: String

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let removed = try admin.mfaReset(username: username)
            print(removed ? "removed the second factor of \(username)" : "\(username) had no second factor")
        } catch {
            throw fail("mfa-reset: \(error)")
        }
    }
}
