import ArgumentParser
import AuthGateApp
import AuthGateCore
import Glibc
import Logging

/// `authgate`: load configuration, open the socket, start the workers.
/// No logic lives here.
@main
struct AuthGateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authgate",
        abstract: "A FastCGI JWT authentication service, drop-in for Flask-JWT-Extended.",
        version: Version.current,
        subcommands: [
            Serve.self, CheckConfig.self, HealthCheck.self, Migrate.self, CreateUser.self,
            DeleteUser.self, RevokeUser.self, AddToGroup.self, RemoveFromGroup.self, ListGroups.self,
            MFAStatusCommand.self, MFAResetCommand.self, GenSecret.self, KDFHelperCommand.self
        ])
}

/// Reads the environment and `.env`, then sends log lines where the
/// configuration says (`AUTHGATE_LOG_FORMAT`); on a bad value prints the
/// variable at fault and exits 2.
func loadConfigOrExit() throws -> Config {
    do {
        let config = try ConfigLoader.fromProcess()
        LogOutput.bootstrap(config.logFormat)
        return config
    } catch {
        var stderr = StandardError()
        print("authgate: configuration error: \(error)", to: &stderr)
        throw ExitCode(2)
    }
}

/// Prints `authgate: <message>` on stderr and exits 1: what an admin
/// command does when it cannot do what it was asked.
func fail(_ message: String) -> ExitCode {
    var stderr = StandardError()
    print("authgate: \(message)", to: &stderr)
    return ExitCode(1)
}

/// A logger for an admin command: warnings and worse, on stderr.
func adminLogger(_ label: String, config: Config) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = config.debug ? .debug : .warning
    return logger
}
