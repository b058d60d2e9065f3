import Logging
import AuthGateCore

/// The fixed keys, clock and configuration every target shares. Fixed so
/// a run is repeatable and the seed tokens (Fuzz/make-seeds.py, which
/// holds the same values) verify forever. Test keys only: never deployed.
enum FuzzFixtures {
    /// The moment every target runs at; seed tokens are issued then.
    static let now = 1_700_000_100.0
    static let clock = Clock { FuzzFixtures.now }

    static let hmacSecret = "fuzz-hmac-secret-0123456789abcdef0123456789"
    /// A retired HMAC key, still accepted (AUTHGATE_JWT_PREVIOUS_SECRET_KEYS).
    static let previousHMACSecret = "fuzz-previous-hmac-secret-0123456789abcdef"
    static let ed25519Private = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIBxeAAdO9fEQmPHecL/7KTuLdWGlc/N3QcVMp9d9dUwu
        -----END PRIVATE KEY-----

        """
    static let ed25519Public = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEA1DMTHmEWjoJefjQtdTkdH/Y6nu0gjbc/Wzp4gjJzlrI=
        -----END PUBLIC KEY-----

        """

    /// The configuration from `environment` over a hermetic base (no file
    /// read, the database never opened); a fixture that does not load is a
    /// broken harness, so it stops the program.
    static func config(_ environment: [String: String]) -> Config {
        var env = ["FLASK_SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/fuzz.sqlite"]
        env.merge(environment) { $1 }
        do {
            return try Config.load(environment: env, dotEnv: [:], workingDirectory: "/nonexistent")
        } catch {
            fatalError("fuzz fixture configuration does not load: \(error)")
        }
    }

    /// HS256 signs; a previous HMAC key and the Ed25519 public key verify.
    static let hmacConfig = config([
        "FLASK_JWT_SECRET_KEY": hmacSecret,
        "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": previousHMACSecret,
        "AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS": ed25519Public
    ])

    /// EdDSA signs; the HS256 key of `hmacConfig` verifies (a move from HS256 to a key pair).
    static let eddsaConfig = config([
        "FLASK_JWT_ALGORITHM": "EdDSA",
        "FLASK_JWT_PRIVATE_KEY": ed25519Private,
        "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": hmacSecret
    ])

    /// Every log line rendered, as a real handler would, then dropped.
    static let logger: Logger = {
        var logger = Logger(label: "authgate-fuzz") { _ in RenderingLogHandler() }
        logger.logLevel = .trace
        return logger
    }()
}

/// Builds each line's text (message and metadata, which may hold input)
/// and throws it away: the formatting runs, the fuzzer's output stays quiet.
struct RenderingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "\(event.level) \(event.message)"
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            line += " \(key)=\(value)"
        }
        blackHole(line)
    }
}

/// Keeps the optimiser from dropping work whose result is unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
