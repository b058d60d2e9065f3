import ArgumentParser
import AuthGateApp
import AuthGateCore
import Logging

/// `authgate migrate status|apply [--dry-run]`: the schema step `serve`
/// runs at start, on its own (for deploys that migrate before rolling out).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or apply the database schema migration.",
        subcommands: [Status.self, Apply.self], defaultSubcommand: Status.self)

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the recorded and built schema versions; exit 0 when current, 1 when not.")

        func run() throws {
            let config = try loadConfigOrExit()
            let status: (line: String, isCurrent: Bool)
            do {
                status = try SchemaAdmin.status(config, logger: adminLogger("authgate.migrate", config: config))
            } catch {
                throw fail("cannot read the schema of \(config.database): \(error)")
            }
            print(status.line)
            if !status.isCurrent { throw ExitCode(1) }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or adopt the schema, as `serve` does at start.")

        @Flag(help: "Print the statements the migration would run now, and change nothing.")
        var dryRun = false

        func run() throws {
            let config = try loadConfigOrExit()
            var logger = Logger(label: "authgate.migrate")
            logger.logLevel = config.debug ? .debug : .info
            do {
                if dryRun {
                    let statements = try SchemaAdmin.dryRun(config, logger: logger)
                    print(
                        statements.isEmpty
                            ? "-- the schema is current: nothing to run"
                            : "-- statements `authgate migrate apply` would run now (nothing was changed):")
                    for statement in statements { print(statement) }
                    return
                }
                try SchemaAdmin.apply(config, logger: logger)
                print(try SchemaAdmin.status(config, logger: logger).line)
            } catch {
                throw fail("migration\(dryRun ? " dry run" : "") failed on \(config.database): \(error)")
            }
        }
    }
}
