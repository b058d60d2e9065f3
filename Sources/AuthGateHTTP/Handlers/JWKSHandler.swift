/// GET /.well-known/jwks.json: the public keys that verify AuthGate's
/// tokens (current and previous, RFC 7517), each with its `kid`, `alg` and
/// `use`. HMAC keys never appear; with only HMAC keys the set is empty.
/// The body is built once at start-up.
enum JWKSHandler {
    /// Verifiers may keep it for five minutes; one that meets an unknown
    /// kid fetches it again (PyJWKClient does).
    static let cacheControl = "public, max-age=300"

    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        Response(status: 200, headers: [("Cache-Control", cacheControl)], body: context.services.tokens.keys.jwks)
    }
}
