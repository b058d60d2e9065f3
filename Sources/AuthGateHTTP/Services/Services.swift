import Logging
import AuthGateCore
import AuthGateStore

/// What every worker shares, immutable after start-up.
public struct Services: Sendable {
    public let config: Config
    public let tokens: JWTCodec
    public let passwords: PasswordService
    public let clock: Clock
    /// The read cache, on PostgreSQL (whose NOTIFY keeps it correct).
    public let cache: ReadCache?
    /// What each request's head reads beyond the basics (`HeaderSelection`).
    public let headerSelection: HeaderSelection
    /// Second factors' keys; nil when the configuration has none.
    public let secondFactorKeys: SecondFactorKeys?

    /// `cache`: the composition root passes one where something keeps it
    /// true (PostgreSQL's NOTIFY); nil reads every time from the store.
    public init(config: Config, clock: Clock = .system, cache: ReadCache? = nil) throws {
        self.config = config
        self.clock = clock
        self.cache = cache
        self.tokens = JWTCodec(keys: config.keys, leeway: config.leeway)
        self.passwords = try PasswordService(method: config.hashMethod)
        self.headerSelection = HeaderSelection(config)
        self.secondFactorKeys = try SecondFactorKeys(config)
    }

    /// A new store (one connection) for the calling thread, behind the cache.
    public func openStore(logger: Logger) throws -> any UserStore {
        let base = try config.database.open(echo: config.echoSQL, logger: logger)
        return cache.map { CachedUserStore(base, cache: $0) } ?? base
    }

    /// A handler context with a new store of its own, for one thread.
    public func makeContext(
        logger: Logger, metrics: ServiceMetrics = .disabled, deriver: any KeyDeriver = InThreadDeriver()
    ) throws -> Context {
        Context(services: self, store: try openStore(logger: logger), metrics: metrics, deriver: deriver)
    }
}
