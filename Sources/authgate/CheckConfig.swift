import ArgumentParser
import AuthGateApp
import AuthGateCore
import Glibc
import Logging

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and reach the database; exit non-zero when either fails.")

    package func run() throws {
        let config = try loadConfigOrExit()
        print("configuration ok: database \(config.database), algorithm \(config.algorithm.rawValue)")
        let report = DatabaseReport.check(config, logger: adminLogger("authgate.check-config", config: config))
        for line in report.lines { print(line) }
        if !report.reachable { throw ExitCode(1) }
    }
}
