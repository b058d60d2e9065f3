import ArgumentParser
import AuthGateApp
import AuthGateCore
import Glibc
import Logging

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve FastCGI requests until SIGTERM.")

    @Flag(
        help:
            "Stay as a parent that holds the socket: SIGHUP restarts the responder gracefully, a crashed one is restarted."
    )
    var supervise = false

    package func run() throws {
        if supervise {
            let config = try loadConfigOrExit()
            var logger = Logger(label: "authgate.supervisor")
            logger.logLevel = config.debug ? .debug : .info
            do {
                let status = try Supervision.run(listen: config.listen, socketMode: config.socketMode, logger: logger)
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
            let server = try Server(config: config, logger: logger)
            try server.run()
        } catch {
            logger.critical("cannot serve", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
