import ArgumentParser
import AuthGateApp
import AuthGateCore

struct GenSecret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen-secret",
        abstract: "Print a fresh random secret for FLASK_JWT_SECRET_KEY (OpenSSL RAND_bytes).")

    @Option(help: "Random bytes, at least 32.") var bytes = SecretGenerator.defaultBytes
    @Option(help: "base64url (unpadded) or hex.") var encoding: SecretGenerator.Encoding = .base64url

    func validate() throws {
        guard (32...1024).contains(bytes) else { throw ValidationError("--bytes must be from 32 to 1024") }
    }

    func run() throws {
        do {
            print(try SecretGenerator.make(bytes: bytes, encoding: encoding))
        } catch {
            throw fail("gen-secret: \(error)")
        }
    }
}

extension SecretGenerator.Encoding: ExpressibleByArgument {}
