import Logging
import AuthGateCore
import AuthGateStore

/// A handler's view of the world: the shared services plus this worker's
/// own store. It lives as long as its thread; what belongs to one request
/// (its logger, which carries the request id) is on the `Request`.
public final class Context {
    public let services: Services
    public let store: any UserStore
    /// This process's metrics, for the metrics endpoint.
    public let metrics: ServiceMetrics
    /// Where this thread's password hashes are derived.
    public let deriver: any KeyDeriver

    public init(
        services: Services, store: any UserStore, metrics: ServiceMetrics = .disabled,
        deriver: any KeyDeriver = InThreadDeriver()
    ) {
        self.services = services
        self.store = store
        self.metrics = metrics
        self.deriver = deriver
    }

    public var config: Config { services.config }
    public var now: Double { services.clock.now() }

    /// Payloads of tokens this worker already verified, by the token's
    /// bytes: HMAC, base64 and JSON once per token per thread, not per
    /// request. Bytes, not `String`: String equality is canonical
    /// equivalence ("\u{212A}" == "K"), which would let a token never
    /// verified hit the memo. Time, type, revocation and user are still
    /// checked every time.
    private var verifiedPayloads: [TokenBytes: [String: JSONValue]] = [:]
    static let maxVerifiedPayloads = 1024

    /// A token's bytes as a dictionary key, hashed in one pass over the
    /// buffer: `[UInt8]`'s own `hash(into:)` feeds the hasher one byte at a
    /// time, which cost more than the rest of the lookup for a 250-byte token.
    private struct TokenBytes: Hashable {
        let bytes: [UInt8]
        static func == (a: TokenBytes, b: TokenBytes) -> Bool { a.bytes == b.bytes }
        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    func verifiedPayload(_ token: String) throws(TokenError) -> [String: JSONValue] {
        try verifiedPayload(tokenBytes: Array(token.utf8))
    }

    /// The same, for a token still as the request's bytes: the `String`
    /// the codec reads is made only when the memo has no answer.
    func verifiedPayload(tokenBytes: [UInt8]) throws(TokenError) -> [String: JSONValue] {
        let key = TokenBytes(bytes: tokenBytes)
        if let payload = verifiedPayloads[key] { return payload }
        let payload = try services.tokens.verifiedPayload(String(decoding: tokenBytes, as: UTF8.self))
        if verifiedPayloads.count >= Context.maxVerifiedPayloads { verifiedPayloads.removeAll(keepingCapacity: true) }
        verifiedPayloads[key] = payload
        return payload
    }
}
