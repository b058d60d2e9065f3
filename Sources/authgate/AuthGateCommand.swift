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
        subcommands: [Serve.self, CheckConfig.self, HealthCheck.self])
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
