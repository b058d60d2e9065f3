/// The key ring from the configuration (docs/keys.md):
/// - HS256/384/512 sign with the HMAC secret (`FLASK_JWT_SECRET_KEY`, else
///   `FLASK_SECRET_KEY`); RS256, ES256 and EdDSA with the PEM private key
///   `FLASK_JWT_PRIVATE_KEY` (`FLASK_JWT_PUBLIC_KEY`, optional, must match it);
/// - verify-only: `AUTHGATE_JWT_PREVIOUS_SECRET_KEYS` (comma-separated in the
///   variable, one per line from a file or credential), checked under
///   FLASK_JWT_ALGORITHM when it is HMAC, else HS256 (a move from HS256 to
///   a key pair); `AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS`, PEM public keys, each
///   under the algorithm of its type.
/// Every secret may come from `NAME_FILE` or a credential (`SecretReader`).
enum KeySettings {
    /// Shorter HMAC keys still work (drop-in) but are warned about: RFC 7518
    /// §3.2 asks for a key at least as long as the hash (32 bytes for HS256).
    static let minimumHMACKeyBytes = 32

    static func keyRing(
        algorithm: JWTAlgorithm, hmacSecret: SecretReader.Secret?,
        secrets: inout SecretReader, warnings: inout [String]
    ) throws(ConfigError) -> KeyRing {
        let privatePEM = try secrets.secret("FLASK_JWT_PRIVATE_KEY")
        let publicPEM = try secrets.secret("FLASK_JWT_PUBLIC_KEY")
        let previousSecrets = try secrets.secret("AUTHGATE_JWT_PREVIOUS_SECRET_KEYS")
        let previousPublic = try secrets.secret("AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS")

        let current: JWTKey
        if algorithm.isHMAC {
            guard let hmacSecret else {
                throw ConfigError(
                    variable: "FLASK_JWT_SECRET_KEY",
                    message: "no signing key: set FLASK_JWT_SECRET_KEY or FLASK_SECRET_KEY")
            }
            current = try make(hmacSecret.variable) { try JWTKey(secret: hmacSecret.bytes, algorithm: algorithm) }
            warnIfShort(hmacSecret.bytes, hmacSecret.variable, &warnings)
            if let privatePEM {
                warnings.append(
                    "\(privatePEM.variable) is set but FLASK_JWT_ALGORITHM is \(algorithm.rawValue): it is not used")
            }
        } else {
            guard let privatePEM else {
                throw ConfigError(
                    variable: "FLASK_JWT_PRIVATE_KEY",
                    message:
                        "FLASK_JWT_ALGORITHM=\(algorithm.rawValue) signs with a private key: set FLASK_JWT_PRIVATE_KEY_FILE to a PEM file"
                )
            }
            let key = try asymmetric(privatePEM, AsymmetricKey.privateKey)
            guard JWTAlgorithm.forKey(key.kind) == algorithm else {
                throw ConfigError(
                    variable: privatePEM.variable,
                    message:
                        "\(privatePEM.path ?? "the key") is a key for \(JWTAlgorithm.forKey(key.kind).rawValue), not FLASK_JWT_ALGORITHM=\(algorithm.rawValue)"
                )
            }
            if let publicPEM {
                let publicKey = try asymmetric(publicPEM, AsymmetricKey.publicKey)
                guard key.hasSamePublicKey(as: publicKey) else {
                    throw ConfigError(
                        variable: publicPEM.variable,
                        message: "\(publicPEM.path ?? "the key") is not the public half of the private key")
                }
            }
            current = try make(privatePEM.variable) { try JWTKey(key) }
        }

        var previous: [JWTKey] = []
        if let previousSecrets {
            let hmac = algorithm.isHMAC ? algorithm : .hs256
            let entries = try previousSecretEntries(previousSecrets)
            for (i, secret) in entries.enumerated() {
                previous.append(try make(previousSecrets.variable) { try JWTKey(secret: secret, algorithm: hmac) })
                warnIfShort(secret, "\(previousSecrets.variable) (key \(i + 1))", &warnings)
            }
        }
        if let previousPublic {
            let blocks = pemBlocks(previousPublic.bytes)
            guard !blocks.isEmpty else {
                throw ConfigError(
                    variable: previousPublic.variable,
                    message: "\(previousPublic.path ?? "the value") holds no PEM public key")
            }
            for (i, block) in blocks.enumerated() {
                var one = previousPublic
                one.bytes = block
                let key = try asymmetric(one, AsymmetricKey.publicKey, index: i + 1)
                previous.append(try make(previousPublic.variable) { try JWTKey(key) })
            }
        }
        return try make("FLASK_JWT_ALGORITHM") { try KeyRing(current: current, previous: previous) }
    }

    /// The previous HMAC secrets: one per line from a file or credential
    /// (blank lines skipped, so a key may hold commas or blanks); in the
    /// variable, separated by commas. There a key cannot hold a comma, and
    /// input that reads two ways is refused rather than guessed at: an
    /// empty entry (`a,,b`, a leading or trailing comma: a key with a
    /// comma split in two?) or one with blanks at either end (`a, b`: is
    /// the space part of the key?).
    static func previousSecretEntries(_ secret: SecretReader.Secret) throws(ConfigError) -> [[UInt8]] {
        if secret.path != nil {
            return secret.bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
                var key = Array(line)
                if key.last == UInt8(ascii: "\r") { key.removeLast() }
                return key.isEmpty ? nil : key
            }
        }
        let blanks: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        var keys: [[UInt8]] = []
        for (i, entry) in secret.bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .enumerated()
        {
            let problem: String?
            if entry.isEmpty {
                problem = "key \(i + 1) is empty"
            } else if let first = entry.first, let last = entry.last, blanks.contains(first) || blanks.contains(last) {
                problem = "key \(i + 1) starts or ends with a blank"
            } else {
                problem = nil
            }
            if let problem {
                throw ConfigError(
                    variable: secret.variable,
                    message:
                        "\(problem); in the variable, keys are separated by commas and can hold neither a comma nor blanks at their ends: put them one per line in a file named by \(secret.variable)_FILE instead"
                )
            }
            keys.append(Array(entry))
        }
        return keys
    }

    private static func warnIfShort(_ secret: [UInt8], _ name: String, _ warnings: inout [String]) {
        if secret.count < minimumHMACKeyBytes {
            warnings.append(
                "\(name): HMAC key shorter than \(minimumHMACKeyBytes) bytes; "
                    + "it still works, but 32 random bytes or more (openssl rand -hex 32) are safer")
        }
    }

    private static func asymmetric(
        _ pem: SecretReader.Secret, _ parse: ([UInt8]) throws(AsymmetricKey.LoadError) -> AsymmetricKey,
        index: Int? = nil
    ) throws(ConfigError) -> AsymmetricKey {
        do {
            return try parse(pem.bytes)
        } catch {
            let which = index.map { " (key \($0))" } ?? ""
            throw ConfigError(variable: pem.variable, message: "\(pem.path ?? "the value")\(which): \(error)")
        }
    }

    /// Runs an OpenSSL step that cannot fail on valid input, naming `variable` if it does.
    private static func make<T>(_ variable: String, _ body: () throws -> T) throws(ConfigError) -> T {
        do { return try body() } catch {
            throw ConfigError(variable: variable, message: "cannot use the key: \(error)")
        }
    }

    /// Each `-----BEGIN ...-----` to `-----END ...-----` block, with its
    /// delimiters; text between blocks (comments) is skipped.
    static func pemBlocks(_ bytes: [UInt8]) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var current: [UInt8]?
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: "-----BEGIN ".utf8) { current = [] }
            current?.append(contentsOf: line)
            current?.append(UInt8(ascii: "\n"))
            if line.starts(with: "-----END ".utf8), let block = current {
                blocks.append(block)
                current = nil
            }
        }
        return blocks
    }
}
