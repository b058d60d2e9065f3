import ArgumentParser
import AuthGateApp
import AuthGateCore

struct CreateUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user",
        abstract: "Create a user as register does; the password comes from standard input or --password-file.")

    @Option(help: "1 to 80 characters, no whitespace.") var username: String
    @Option(help: "The user's e-mail address (unique, ignoring ASCII case).") var email: String
    @Option(help: "Read the password from the first line of this file instead of standard input.")
    var passwordFile: String?

    func run() throws {
        let config = try loadConfigOrExit()
        do {
            let password = try PasswordInput.read(file: passwordFile)
            let admin = try UserAdmin(config: config, logger: adminLogger("authgate.admin", config: config))
            let id = try admin.createUser(username: username, email: email, password: password)
            print("created user \(username) (id \(id))")
        } catch {
            throw fail("create-user: \(error)")
        }
    }
}
