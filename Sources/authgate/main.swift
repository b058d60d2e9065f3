import ArgumentParser
import AuthGate
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

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve FastCGI requests until SIGTERM.")

    @Flag(help: "Stay as a parent that holds the socket: SIGHUP restarts the responder gracefully, a crashed one is restarted.")
    var supervise = false

    func run() throws {
        if supervise {
            let config = try loadConfigOrExit()
            var logger = Logger(label: "authgate.supervisor")
            logger.logLevel = config.debug ? .debug : .info
            do {
                let status = try Supervisor(listen: config.listen, logger: logger).run()
                if status != 0 { throw ExitCode(status) }
                return
            } catch let error as ExitCode {
                throw error
            } catch {
                logger.critical("cannot supervise", metadata: ["error": "\(error)"])
                throw ExitCode(1)
            }
        }
        // First, before anything calls OpenSSL.
        let keptBuffers = PasswordService.keepKDFBuffers()
        let config = try loadConfigOrExit()
        var logger = Logger(label: "authgate")
        logger.logLevel = config.debug ? .debug : .info
        if !keptBuffers { logger.warning("could not install the KDF buffer hook; hashes will allocate each time") }
        do {
            let server = try Server(services: try Services(config: config), logger: logger)
            try server.run()
        } catch {
            logger.critical("cannot serve", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the configuration and exit.")

    func run() throws {
        let config = try loadConfigOrExit()
        print("configuration ok: database \(config.database), algorithm \(config.algorithm.rawValue)")
    }
}

struct HealthCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the FastCGI listener accepts and the database answers (for containers).")

    func run() throws {
        let config = try loadConfigOrExit()
        guard HealthProbe.run(config: config, logger: Logger(label: "authgate.healthcheck")) else { throw ExitCode(1) }
    }
}

/// Reads the environment and `.env`; prints the variable at fault and exits 2.
func loadConfigOrExit() throws -> Config {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    do {
        return try ConfigLoader.fromProcess()
    } catch {
        var stderr = StandardError()
        print("authgate: configuration error: \(error)", to: &stderr)
        throw ExitCode(2)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}
