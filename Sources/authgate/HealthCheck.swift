import ArgumentParser
import AuthGateApp
import AuthGateCore
import Glibc
import Logging

struct HealthCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the FastCGI listener accepts and the database answers (for containers).")

    package func run() throws {
        let config = try loadConfigOrExit()
        guard HealthProbe.run(config: config, logger: Logger(label: "authgate.healthcheck")) else { throw ExitCode(1) }
    }
}
