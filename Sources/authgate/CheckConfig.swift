import ArgumentParser
import AuthGateApp
import AuthGateCore
import Glibc
import Logging

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the configuration and exit.")

    package func run() throws {
        let config = try loadConfigOrExit()
        print("configuration ok: database \(config.database), algorithm \(config.algorithm.rawValue)")
    }
}
