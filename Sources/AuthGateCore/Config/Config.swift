/// AuthGate's settings, read once at start-up and shared read-only by every
/// thread. `FLASK_*` names keep the meaning they have for the Flask service
/// (see shared/API.md, Configuration).
public struct Config: Sendable {
    /// The HMAC secret: `FLASK_JWT_SECRET_KEY`, else `FLASK_SECRET_KEY`
    /// (each also as `NAME_FILE` or a credential); empty when
    /// FLASK_JWT_ALGORITHM is asymmetric and neither is set.
    public var jwtKey: [UInt8]
    /// The keys that sign and verify tokens, parsed once here (KeySettings).
    public var keys: KeyRing
    /// `FLASK_SQLALCHEMY_DATABASE_URI` (default `sqlite:///db.sqlite`).
    public var database: DatabaseLocation
    /// `FLASK_SQLALCHEMY_ECHO`: log statement text (never parameters).
    public var echoSQL: Bool
    /// `FLASK_DEBUG`: debug logging.
    public var debug: Bool
    /// `FLASK_JWT_ACCESS_TOKEN_EXPIRES`, seconds (default 900).
    public var accessExpires: Int64
    /// `FLASK_JWT_REFRESH_TOKEN_EXPIRES`, seconds (default 30 days).
    public var refreshExpires: Int64
    /// `FLASK_JWT_ALGORITHM`: HS256, HS384, HS512, RS256, ES256 or EdDSA.
    public var algorithm: JWTAlgorithm
    /// `FLASK_JWT_DECODE_LEEWAY`, seconds, for `exp`, `nbf` and `iat`.
    public var leeway: Int64
    /// `FLASK_PASSWORD_HASH_METHOD`: Werkzeug method for new hashes.
    public var hashMethod: HashMethod
    /// `AUTHGATE_LISTEN`: `host:port`, `unix:/path`; nil means the socket
    /// inherited on fd 0 (spawn-fcgi) or fd 3 (systemd), else the unix
    /// socket `defaultListen` (TCP only when asked for).
    public var listen: String?
    /// `AUTHGATE_THREADS`: worker threads, each with its own connection.
    public var threads: Int
    /// `AUTHGATE_KDF_THREADS`: threads that derive keys (login, register);
    /// nil: the cores this process may use (affinity, cgroup quota), which
    /// the transport counts.
    public var kdfThreads: Int?
    /// `AUTHGATE_KDF_WAIT_SECONDS`: longest wait for a key derivation
    /// before the request is answered 503 with Retry-After.
    public var kdfWaitSeconds: Double = 20
    /// `AUTHGATE_MAX_IDLE_CONNECTIONS`: kept connections parked at most;
    /// past it, a connection is closed after its answer. Well above
    /// nginx's `keepalive` x worker processes.
    public var maxIdleConnections = 256
    /// `AUTHGATE_SOCKET_MODE`: the mode of a unix socket AuthGate binds
    /// (octal; 0660: nginx's group). Never one that lets other users
    /// connect: Debian's libfcgi aborts on some malformed records.
    public var socketMode: UInt32 = 0o660
    /// `AUTHGATE_IDLE_CONNECTION_SECONDS`: a kept connection unused this
    /// long is closed; longer than nginx's upstream `keepalive_timeout`
    /// (60 s), so that nginx closes first.
    public var idleConnectionSeconds = 75.0
    /// `AUTHGATE_LOGIN_THROTTLE` and its limits; nil: off (the default).
    public var loginThrottle: LoginThrottleSettings? = nil
    /// `AUTHGATE_REHASH_ON_LOGIN`: a login upgrades a weaker stored hash.
    public var rehashOnLogin = false
    /// `AUTHGATE_REGISTRATION`, `AUTHGATE_REGISTRATION_EMAIL_DOMAINS`.
    public var registration = RegistrationPolicy.open
    /// `AUTHGATE_REFRESH_ROTATION`: refresh also answers a new refresh
    /// token and revokes the one presented; reuse of a revoked one revokes
    /// its login's whole family (docs/refresh-rotation.md). Off: as Flask.
    public var refreshRotation = false
    /// `AUTHGATE_REFRESH_MAX_AGE_SECONDS`: with rotation, how long after the
    /// login its refresh tokens may still be renewed (default: the refresh
    /// lifetime). Rotation never extends a login past it.
    public var refreshMaxAge: Int64 = 2_592_000
    /// `AUTHGATE_LOGOUT_SCOPE`: `session` (default with rotation) ends the
    /// whole login, `token` (default without, as Flask) the token presented.
    public var logoutScope = LogoutScope.token
    /// `AUTHGATE_USERNAME_POLICY`: `exact` (default) or `caseless`.
    public var usernamePolicy = UsernamePolicy.exact
    /// Whether a login starts a family (`fam`) that each of its tokens,
    /// access and refresh, carries, so that reuse detection or a session
    /// logout can end them all at once.
    public var tokenFamilies: Bool { refreshRotation || logoutScope == .session }
    /// What start-up should log as warnings (a short HMAC key, a secret
    /// file others may read); never a secret.
    public var warnings: [String] = []
    /// `AUTHGATE_LOG_FORMAT`: `json` (default) or `text`.
    public var logFormat: LogFormat = .json
    /// `AUTHGATE_REQUEST_LOG`: AuthGate's own line per request at info
    /// (off: at debug; nginx's access line is the request log).
    public var requestLog = false
    /// `AUTHGATE_VERIFY_COOKIE`: the cookie `/auth/verify` may take the
    /// token from (docs/forward-auth.md); nil: off (the default).
    public var verifyCookie: String? = nil
    /// Flask-JWT-Extended's cookie mode (`FLASK_JWT_TOKEN_LOCATION` and the
    /// cookie settings); off by default, as in Flask.
    public var cookies = JWTCookieSettings()
    /// `AUTHGATE_REDIRECT_HOSTS`: where the sign-in pages may send a browser
    /// back to, beyond relative paths.
    public var redirectHosts = RedirectHosts.none
    /// `AUTHGATE_TOKEN_GROUPS`: access tokens carry the user's groups as a
    /// `groups` claim. Off (the default): tokens stay Flask-shaped.
    public var tokenGroups = false
    /// What TOTP secrets are sealed with (`Config.mfaKey`); empty: no
    /// enrolment possible.
    public var mfaKey: [UInt8] = []
    /// `AUTHGATE_MFA_ISSUER`: the issuer in `otpauth://` URIs.
    public var mfaIssuer = "AuthGate"
    /// Passkeys: on when `AUTHGATE_WEBAUTHN_RP_ID` and `_ORIGIN` are set.
    public var passkeys: PasskeySettings?

    public static let defaultThreads = 16
    public static let defaultListen = "unix:/run/authgate/authgate.sock"

    /// Builds the configuration from the process environment and the
    /// `.env` values (the environment wins). Throws naming the variable.
    public static func load(
        environment: [String: String], dotEnv: [String: String],
        workingDirectory: String
    ) throws(ConfigError) -> Config {
        func value(_ name: String) -> String? { environment[name] ?? dotEnv[name] }

        var secrets = SecretReader(value: value)
        let jwtSecret = try secrets.secret("FLASK_JWT_SECRET_KEY")
        let appSecret = try secrets.secret("FLASK_SECRET_KEY")
        let uri =
            try secrets.secret("FLASK_SQLALCHEMY_DATABASE_URI").map { String(decoding: $0.bytes, as: UTF8.self) }
            ?? "sqlite:///db.sqlite"
        guard let database = parseDatabase(uri, workingDirectory: workingDirectory) else {
            throw ConfigError(
                variable: "FLASK_SQLALCHEMY_DATABASE_URI",
                message: "expected postgresql://... or sqlite:///path")
        }
        // Refused here, in our words: libpq's would quote the bad part.
        if let problem = databaseProblem(uri, database) {
            throw ConfigError(variable: "FLASK_SQLALCHEMY_DATABASE_URI", message: problem)
        }
        func bool(_ name: String) throws(ConfigError) -> Bool { try SettingParser.bool(value(name), name) }
        func integer(_ name: String, default fallback: Int64, range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
            try SettingParser.integer(
                value(name), name, default: fallback, range: range,
                unit: name.hasSuffix("THREADS") || name.hasSuffix("CONNECTIONS") ? nil : "seconds")
        }
        let algorithmName = value("FLASK_JWT_ALGORITHM") ?? "HS256"
        guard let algorithm = JWTAlgorithm(rawValue: algorithmName) else {
            throw ConfigError(
                variable: "FLASK_JWT_ALGORITHM", message: "expected HS256, HS384, HS512, RS256, ES256 or EdDSA")
        }
        var warnings: [String] = []
        let keys = try KeySettings.keyRing(
            algorithm: algorithm, hmacSecret: jwtSecret ?? appSecret,
            secrets: &secrets, warnings: &warnings)
        let methodName = value("FLASK_PASSWORD_HASH_METHOD") ?? "scrypt"
        guard let method = HashMethod(methodName) else {
            throw ConfigError(
                variable: "FLASK_PASSWORD_HASH_METHOD",
                message: "expected a Werkzeug method such as scrypt:32768:8:1 or pbkdf2:sha256:600000")
        }
        let threads = Int(try integer("AUTHGATE_THREADS", default: Int64(defaultThreads), range: 1...256))
        let listen = value("AUTHGATE_LISTEN").flatMap { $0.isEmpty ? nil : $0 }
        if let listen, !isValidListen(listen) {
            throw ConfigError(variable: "AUTHGATE_LISTEN", message: "expected host:port or unix:/path")
        }
        let tenYears: Int64 = 10 * 366 * 86400
        var config = Config(
            jwtKey: (jwtSecret ?? appSecret)?.bytes ?? [],
            keys: keys,
            database: database,
            echoSQL: try bool("FLASK_SQLALCHEMY_ECHO"),
            debug: try bool("FLASK_DEBUG"),
            accessExpires: try integer("FLASK_JWT_ACCESS_TOKEN_EXPIRES", default: 900, range: 1...tenYears),
            refreshExpires: try integer("FLASK_JWT_REFRESH_TOKEN_EXPIRES", default: 2_592_000, range: 1...tenYears),
            algorithm: algorithm,
            leeway: try integer("FLASK_JWT_DECODE_LEEWAY", default: 0, range: 0...tenYears),
            hashMethod: method,
            listen: listen,
            threads: threads)
        if value("AUTHGATE_KDF_THREADS") != nil {
            config.kdfThreads = Int(try integer("AUTHGATE_KDF_THREADS", default: 1, range: 1...64))
        }
        config.kdfWaitSeconds = Double(try integer("AUTHGATE_KDF_WAIT_SECONDS", default: 20, range: 1...25))
        config.maxIdleConnections = Int(try integer("AUTHGATE_MAX_IDLE_CONNECTIONS", default: 256, range: 1...4096))
        if let raw = value("AUTHGATE_SOCKET_MODE") { config.socketMode = try socketMode(raw) }
        config.idleConnectionSeconds = Double(
            try integer(
                "AUTHGATE_IDLE_CONNECTION_SECONDS", default: 75,
                range: 1...3600))
        try config.loadLoginAndRegistrationPolicies(value)
        config.refreshRotation = try bool("AUTHGATE_REFRESH_ROTATION")
        config.refreshMaxAge = try integer(
            "AUTHGATE_REFRESH_MAX_AGE_SECONDS", default: config.refreshExpires,
            range: 1...tenYears)
        config.logoutScope = try SettingParser.choice(
            value("AUTHGATE_LOGOUT_SCOPE"), "AUTHGATE_LOGOUT_SCOPE",
            default: config.refreshRotation ? .session : .token)
        config.usernamePolicy = try SettingParser.choice(
            value("AUTHGATE_USERNAME_POLICY"),
            "AUTHGATE_USERNAME_POLICY", default: .exact)
        config.verifyCookie = try verifyCookieName(value("AUTHGATE_VERIFY_COOKIE"))
        config.tokenGroups = try bool("AUTHGATE_TOKEN_GROUPS")
        config.mfaKey = try mfaKey(&secrets, jwtKey: config.jwtKey)
        config.mfaIssuer = try mfaIssuer(value("AUTHGATE_MFA_ISSUER"))
        config.passkeys = try passkeySettings(
            rpID: value("AUTHGATE_WEBAUTHN_RP_ID"), origin: value("AUTHGATE_WEBAUTHN_ORIGIN"), name: config.mfaIssuer)
        config.warnings = secrets.warnings + warnings
        try config.loadCookieSettings(value)
        config.requestLog = try bool("AUTHGATE_REQUEST_LOG")
        config.redirectHosts = try RedirectHosts.parse(value("AUTHGATE_REDIRECT_HOSTS") ?? "")
        if let raw = value("AUTHGATE_LOG_FORMAT") {
            guard let format = LogFormat(rawValue: raw.trimmingASCIIWhitespace().lowercased()) else {
                throw ConfigError(variable: "AUTHGATE_LOG_FORMAT", message: "expected json or text")
            }
            config.logFormat = format
        }
        return config
    }

    /// `postgresql://`, `postgres://`, `postgresql+DRIVER://` go to libpq as
    /// `postgresql://`; `sqlite:///rel` is relative to `instance/` (as
    /// Flask-SQLAlchemy 3 resolves it), `sqlite:////abs` absolute.
    static func parseDatabase(_ uri: String, workingDirectory: String) -> DatabaseLocation? {
        guard let sep = uri.firstRange(of: "://") else { return nil }
        let scheme = uri[..<sep.lowerBound].lowercased()
        let rest = String(uri[sep.upperBound...])
        if scheme == "postgresql" || scheme == "postgres" || scheme.hasPrefix("postgresql+") {
            return .postgres(uri: "postgresql://" + rest)
        }
        guard scheme == "sqlite" || scheme == "sqlite+pysqlite", rest.hasPrefix("/") else { return nil }
        let path = String(rest.dropFirst()).split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        if path.isEmpty || path == ":memory:" { return nil }
        if path.hasPrefix("/") { return .sqlite(path: path) }
        return .sqlite(path: workingDirectory + "/instance/" + path)
    }

    /// Why a URI that `parseDatabase` accepted still cannot be used, or nil.
    static func databaseProblem(_ uri: String, _ location: DatabaseLocation) -> String? {
        switch location {
        case .postgres(let normalised): return DatabaseURISyntax.postgresProblem(in: normalised)
        case .sqlite: return DatabaseURISyntax.problem(in: uri)
        }
    }

    /// An octal mode that keeps other users out (`AUTHGATE_SOCKET_MODE`).
    static func socketMode(_ raw: String) throws(ConfigError) -> UInt32 {
        guard let mode = UInt32(raw.trimmingASCIIWhitespace(), radix: 8), mode <= 0o777 else {
            throw ConfigError(variable: "AUTHGATE_SOCKET_MODE", message: "expected an octal mode such as 0660")
        }
        guard mode & 0o007 == 0 else {
            throw ConfigError(
                variable: "AUTHGATE_SOCKET_MODE",
                message: "other users must not reach the socket (use 0660 and nginx's group)")
        }
        return mode
    }

    static func isValidListen(_ text: String) -> Bool {
        if text.hasPrefix("unix:") { return text.count > 5 }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            return false
        }
        return (1...65535).contains(port)
    }
}
