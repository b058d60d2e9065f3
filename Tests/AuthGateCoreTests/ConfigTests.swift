import Testing
@testable import AuthGateCore
import AuthGateTestSupport

@Suite struct ConfigTests {
    func load(_ env: [String: String], dotEnv: [String: String] = [:]) throws -> Config {
        try Config.load(environment: env, dotEnv: dotEnv, workingDirectory: "/srv/app")
    }

    @Test func defaultsMatchTheContract() throws {
        let c = try load(["FLASK_SECRET_KEY": "k"])
        #expect(c.jwtKey == Array("k".utf8))
        #expect(c.database == .sqlite(path: "/srv/app/instance/db.sqlite"))
        #expect(c.accessExpires == 900)
        #expect(c.refreshExpires == 2_592_000)
        #expect(c.algorithm == .hs256)
        #expect(c.leeway == 0)
        #expect(c.hashMethod == .scrypt(n: 32768, r: 8, p: 1))
        #expect(c.echoSQL == false && c.debug == false)
    }

    @Test func jwtSecretWinsOverAppSecret() throws {
        let c = try load(["FLASK_SECRET_KEY": "app", "FLASK_JWT_SECRET_KEY": "jwt"])
        #expect(c.jwtKey == Array("jwt".utf8))
    }

    @Test func noSecretNamesTheVariable() {
        #expect { try load([:]) } throws: { ($0 as? ConfigError)?.variable == "FLASK_JWT_SECRET_KEY" }
    }

    /// Like every setting, read from `.env` as well as the environment.
    @Test func theSocketModeComesFromDotEnvAndNeverOpensToOthers() throws {
        #expect(try load(["FLASK_SECRET_KEY": "k"]).socketMode == 0o660)
        #expect(try load([:], dotEnv: ["FLASK_SECRET_KEY": "k", "AUTHGATE_SOCKET_MODE": "0600"]).socketMode == 0o600)
        for bad in ["0666", "0604", "660x", "1777", ""] {
            #expect(throws: ConfigError.self, "\(bad)") {
                try load([:], dotEnv: ["FLASK_SECRET_KEY": "k", "AUTHGATE_SOCKET_MODE": bad])
            }
        }
    }

    @Test func threadsAreAWholeNumberFrom1To256() throws {
        #expect(try load([:], dotEnv: ["FLASK_SECRET_KEY": "k", "AUTHGATE_THREADS": " 8 "]).threads == 8)
        for bad in ["0", "257", "eight", "-1"] {
            #expect { try load(["FLASK_SECRET_KEY": "k", "AUTHGATE_THREADS": bad]) } throws: {
                ($0 as? ConfigError)?.variable == "AUTHGATE_THREADS"
            }
        }
    }

    @Test func environmentWinsOverDotEnv() throws {
        let c = try load(
            ["FLASK_JWT_ALGORITHM": "HS384"],
            dotEnv: ["FLASK_JWT_ALGORITHM": "HS512", "FLASK_SECRET_KEY": "k"])
        #expect(c.algorithm == .hs384)
    }

    @Test(arguments: [
        ("FLASK_JWT_ACCESS_TOKEN_EXPIRES", "15m"),
        ("FLASK_JWT_REFRESH_TOKEN_EXPIRES", "-1"),
        ("FLASK_JWT_ALGORITHM", "PS256"),
        ("FLASK_JWT_DECODE_LEEWAY", "abc"),
        ("FLASK_PASSWORD_HASH_METHOD", "md5"),
        ("FLASK_SQLALCHEMY_DATABASE_URI", "mysql://x"),
        ("FLASK_DEBUG", "maybe"),
        ("AUTHGATE_THREADS", "0"),
        ("AUTHGATE_LISTEN", "nowhere")
    ])
    func badValueNamesItsVariable(name: String, value: String) {
        #expect { try load(["FLASK_SECRET_KEY": "k", name: value]) } throws: {
            ($0 as? ConfigError)?.variable == name && !"\($0)".contains(value + "k")
        }
    }

    @Test func databaseURIs() {
        #expect(
            Config.parseDatabase("sqlite:////var/lib/a.db", workingDirectory: "/w") == .sqlite(path: "/var/lib/a.db"))
        #expect(
            Config.parseDatabase("sqlite:///sub/a.db", workingDirectory: "/w") == .sqlite(path: "/w/instance/sub/a.db"))
        #expect(
            Config.parseDatabase("postgres://u:p@h/db", workingDirectory: "/w")
                == .postgres(uri: "postgresql://u:p@h/db"))
        #expect(
            Config.parseDatabase("postgresql+psycopg2://h/db", workingDirectory: "/w")
                == .postgres(uri: "postgresql://h/db"))
    }

    @Test func postgresURIIsPrintedWithoutPassword() {
        let text = "\(DatabaseLocation.postgres(uri: "postgresql://user:hunter2@db:5432/app"))"
        #expect(!text.contains("hunter2"))
        #expect(text.contains("@db:5432/app"))
    }

    @Test func postgresURIQueryPasswordIsNeverPrinted() {
        for uri in [
            "postgresql://user@db/app?sslmode=require&password=hunter2",
            "postgresql://db/app?password=hunter2", "postgresql://u:hunter2@db/app?password=hunter2"
        ] {
            let text = "\(DatabaseLocation.postgres(uri: uri))"
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(text.contains("db"))
        }
    }

    @Test func hashMethods() {
        #expect(HashMethod("scrypt") == .scrypt(n: 32768, r: 8, p: 1))
        #expect(HashMethod("scrypt:16384:8:1") == .scrypt(n: 16384, r: 8, p: 1))
        #expect(HashMethod("pbkdf2:sha256:600000") == .pbkdf2(.sha256, iterations: 600_000))
        #expect(HashMethod("pbkdf2") == .pbkdf2(.sha256, iterations: 1_000_000))
        #expect(HashMethod("pbkdf2:sha512") == .pbkdf2(.sha512, iterations: 1_000_000))
        #expect(HashMethod("scrypt:1000:8:1") == nil)  // N must be a power of two
        #expect(HashMethod("pbkdf2:md5:1") == nil)
    }
}
