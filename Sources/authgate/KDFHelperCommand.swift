import ArgumentParser
import AuthGateFCGI
import Glibc

/// `authgate kdf-helper`: not for people. The responder starts one per KDF
/// thread to derive password hashes at a lower priority (`KDFHelperMain`).
struct KDFHelperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kdf-helper", abstract: "Derive password hashes for the responder that started it.",
        shouldDisplay: false)

    @Option(help: "The responder's pid: the helper exits unless it is its parent.")
    var parent: Int32

    func run() throws {
        throw ExitCode(KDFHelperMain.run(parent: parent))
    }
}
