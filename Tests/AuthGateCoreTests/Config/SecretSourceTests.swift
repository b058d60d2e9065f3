import Glibc
import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Secrets from `NAME_FILE` and systemd credentials: exactly one source,
/// one trailing newline dropped, warnings that name but never show.
@Suite struct SecretSourceTests {
    static let long = String(repeating: "s", count: 40)

    func load(_ env: [String: String]) throws -> Config {
        try Config.load(environment: env, dotEnv: [:], workingDirectory: "/srv/app")
    }

    /// Writes `text` to `name` in `dir` with `mode`; returns the path.
    @discardableResult
    func write(_ text: String, _ name: String, in dir: TemporaryDirectory, mode: mode_t = 0o600) throws -> String {
        let path = dir.path + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        let bytes = Array(text.utf8)
        #expect(Glibc.write(fd, bytes, bytes.count) == bytes.count)
        close(fd)
        chmod(path, mode)
        return path
    }

    func withDirectory(_ body: (TemporaryDirectory) throws -> Void) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try body(dir)
    }

    @Test func aFileGivesTheSecretWithOneTrailingNewlineDropped() throws {
        try withDirectory { dir in
            let c = try load(["FLASK_JWT_SECRET_KEY_FILE": try write(Self.long + "\n", "jwt", in: dir)])
            #expect(c.jwtKey == Array(Self.long.utf8))
            #expect(c.warnings.isEmpty)
            let two = try load(["FLASK_SECRET_KEY_FILE": try write(Self.long + "\n\n", "app", in: dir)])
            #expect(two.jwtKey == Array((Self.long + "\n").utf8))
            let crlf = try load(["FLASK_SECRET_KEY_FILE": try write(Self.long + "\r\n", "crlf", in: dir)])
            #expect(crlf.jwtKey == Array(Self.long.utf8))
        }
    }

    @Test func theVariableAndItsFileBothSetRefusesToStartNamingBoth() throws {
        try withDirectory { dir in
            let path = try write(Self.long, "jwt", in: dir)
            #expect { try load(["FLASK_JWT_SECRET_KEY": "x", "FLASK_JWT_SECRET_KEY_FILE": path]) } throws: { error in
                let text = "\(error)"
                return text.contains("FLASK_JWT_SECRET_KEY and FLASK_JWT_SECRET_KEY_FILE") && !text.contains(Self.long)
            }
        }
    }

    @Test func theJWTKeyFromAFileStillWinsOverTheAppSecret() throws {
        try withDirectory { dir in
            let c = try load([
                "FLASK_SECRET_KEY": "app", "FLASK_JWT_SECRET_KEY_FILE": try write(Self.long, "jwt", in: dir)
            ])
            #expect(c.jwtKey == Array(Self.long.utf8))
        }
    }

    @Test func aMissingOrEmptyFileRefusesToStartNamingTheFileVariable() throws {
        try withDirectory { dir in
            #expect { try load(["FLASK_JWT_SECRET_KEY_FILE": dir.path + "/missing"]) } throws: {
                ($0 as? ConfigError)?.variable == "FLASK_JWT_SECRET_KEY_FILE"
            }
            let empty = try write("\n", "empty", in: dir)
            #expect { try load(["FLASK_JWT_SECRET_KEY_FILE": empty]) } throws: {
                ($0 as? ConfigError)?.variable == "FLASK_JWT_SECRET_KEY_FILE"
            }
            #expect { try load(["FLASK_JWT_SECRET_KEY_FILE": dir.path]) }  // a directory
            throws: { ($0 as? ConfigError)?.variable == "FLASK_JWT_SECRET_KEY_FILE" }
        }
    }

    @Test func aFileOthersMayReadIsWarnedAboutWithoutItsContent() throws {
        try withDirectory { dir in
            let path = try write(Self.long, "open", in: dir, mode: 0o644)
            let c = try load(["FLASK_JWT_SECRET_KEY_FILE": path])
            #expect(c.jwtKey == Array(Self.long.utf8))  // still works
            #expect(c.warnings.count == 1)
            #expect(c.warnings.allSatisfy { $0.contains(path) && $0.contains("0644") && !$0.contains(Self.long) })
            let group = try load(["FLASK_JWT_SECRET_KEY_FILE": try write(Self.long, "group", in: dir, mode: 0o640)])
            #expect(group.warnings.count == 1)
        }
    }

    @Test func systemdCredentialsAreRead() throws {
        try withDirectory { dir in
            try write(Self.long + "\n", "flask_jwt_secret_key", in: dir, mode: 0o400)
            try write("postgresql://u:pw@db/app\n", "flask_sqlalchemy_database_uri", in: dir, mode: 0o400)
            let c = try load(["CREDENTIALS_DIRECTORY": dir.path, "FLASK_SECRET_KEY": "app"])
            #expect(c.jwtKey == Array(Self.long.utf8))
            #expect(c.database == .postgres(uri: "postgresql://u:pw@db/app"))
            #expect(c.warnings.isEmpty)
            #expect { try load(["CREDENTIALS_DIRECTORY": dir.path, "FLASK_JWT_SECRET_KEY": "x"]) } throws: {
                "\($0)".contains("FLASK_JWT_SECRET_KEY and credential flask_jwt_secret_key")
            }
        }
    }

    @Test func theDatabaseURIMayComeFromAFile() throws {
        try withDirectory { dir in
            let path = try write("postgresql://u:secret-pw@db/app\n", "uri", in: dir)
            let c = try load(["FLASK_SECRET_KEY": Self.long, "FLASK_SQLALCHEMY_DATABASE_URI_FILE": path])
            #expect(c.database == .postgres(uri: "postgresql://u:secret-pw@db/app"))
        }
    }

    @Test func shortHMACKeysStillWorkButAreWarnedAbout() throws {
        let short = try load(["FLASK_SECRET_KEY": "short-key"])
        #expect(short.jwtKey == Array("short-key".utf8))
        #expect(short.warnings.count == 1)
        #expect(
            short.warnings.allSatisfy {
                $0.contains("FLASK_SECRET_KEY") && $0.contains("32") && !$0.contains("short-key")
            })
        #expect(try load(["FLASK_SECRET_KEY": String(repeating: "k", count: 32)]).warnings.isEmpty)
        let previous = try load(["FLASK_SECRET_KEY": Self.long, "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": "old"])
        #expect(previous.warnings.count == 1 && previous.warnings[0].contains("AUTHGATE_JWT_PREVIOUS_SECRET_KEYS"))
    }

    @Test func previousSecretsAreCommaSeparatedInTheVariableAndOnePerLineInAFile() throws {
        let a = String(repeating: "a", count: 32), b = String(repeating: "b", count: 32)
        let kids = { (keys: [String]) in try keys.map { try JWTKey(secret: Array($0.utf8), algorithm: .hs256).kid } }
        let fromVariable = try load(["FLASK_SECRET_KEY": Self.long, "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": "\(a),\(b)"])
        #expect(fromVariable.keys.verifying.dropFirst().map(\.kid) == (try kids([a, b])))
        try withDirectory { dir in
            let path = try write("\(a),x\n\n\(b)\r\n", "previous", in: dir)
            let fromFile = try load(["FLASK_SECRET_KEY": Self.long, "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS_FILE": path])
            #expect(fromFile.keys.verifying.dropFirst().map(\.kid) == (try kids(["\(a),x", b])))
        }
    }

    /// In the variable a comma separates keys, so a key holding one would be
    /// split silently; input that reads two ways is refused, naming the file form.
    @Test(arguments: [
        "old-key-one,,old-key-two", ",old-key-one", "old-key-one,", "old-key-one, old-key-two",
        " old-key-one", "old-key-one\t"
    ])
    func ambiguousPreviousSecretsInTheVariableAreRefused(value: String) throws {
        #expect { try load(["FLASK_SECRET_KEY": Self.long, "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": value]) } throws: {
            error in
            guard let error = error as? ConfigError else { return false }
            return error.variable == "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS"
                && "\(error)".contains("AUTHGATE_JWT_PREVIOUS_SECRET_KEYS_FILE") && !"\(error)".contains("old-key")
        }
    }

    @Test func aPrivateKeyFromAFile() throws {
        try withDirectory { dir in
            let path = try write(TestKeys.ed25519, "key.pem", in: dir)
            let c = try load(["FLASK_JWT_ALGORITHM": "EdDSA", "FLASK_JWT_PRIVATE_KEY_FILE": path])
            #expect(c.keys.current.algorithm == .edDSA)
            let pub = try write(TestKeys.ed25519OtherPublic, "pub.pem", in: dir)
            #expect {
                try load([
                    "FLASK_JWT_ALGORITHM": "EdDSA", "FLASK_JWT_PRIVATE_KEY_FILE": path,
                    "FLASK_JWT_PUBLIC_KEY_FILE": pub
                ])
            } throws: { ($0 as? ConfigError)?.variable == "FLASK_JWT_PUBLIC_KEY_FILE" && "\($0)".contains(pub) }
        }
    }
}
