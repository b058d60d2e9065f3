/// The keys tokens are signed and checked with, built once at start-up:
/// the current key signs (and verifies); previous keys only verify, for a
/// grace period after a rotation.
///
/// A token naming the `kid` of one of these keys is checked with that key
/// alone, under that key's algorithm. A token without one (what
/// Flask-JWT-Extended issues), or with a kid that names none of them (a
/// hint from another issuer), is tried with each key of its `alg`, current
/// first. Either way a key verifies only under the algorithm it is pinned
/// to, so a public key is never used as an HMAC secret.
public struct KeyRing: Sendable {
    public let current: JWTKey
    /// Current first, then the previous keys in the order configured.
    public let verifying: [JWTKey]
    private let byKid: [String: JWTKey]
    private let byAlgorithm: [String: [JWTKey]]
    /// `{"keys": [...]}`: the public keys (current and previous), never an HMAC key.
    public let jwks: [UInt8]

    /// A key named twice (the current one also listed as previous) is kept once.
    public init(current: JWTKey, previous: [JWTKey] = []) throws {
        var keys: [JWTKey] = []
        var byKid: [String: JWTKey] = [:]
        for key in [current] + previous where byKid[key.kid] == nil {
            keys.append(key)
            byKid[key.kid] = key
        }
        self.current = current
        self.verifying = keys
        self.byKid = byKid
        self.byAlgorithm = Dictionary(grouping: keys, by: { $0.algorithm.rawValue })
        var out = Array(#"{"keys":["#.utf8)
        var first = true
        for key in keys {
            guard let members = try JWK.entry(for: key) else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeObject(members, into: &out)
            first = false
        }
        out.append(contentsOf: "]}".utf8)
        self.jwks = out
    }

    /// One HMAC key, no previous ones.
    public init(secret: [UInt8], algorithm: JWTAlgorithm) throws {
        try self.init(current: JWTKey(secret: secret, algorithm: algorithm))
    }

    /// Whether `signature` over `input` is good for a token whose header
    /// says `alg` and `kid` (see the type's comment for the rules).
    func verifies(_ signature: [UInt8], over input: [UInt8], alg: String, kid: JSONValue?) -> Bool {
        switch kid {
        case .string(let name)?:
            // A kid is a hint: one that names a key of AuthGate's selects
            // it (pinned to its algorithm); one that names none is treated
            // as no kid, as PyJWT and Flask do (a Flask app may add its own
            // kid through `additional_headers_loader`). A token of a dropped
            // key still fails: every key tried is a current one.
            if let key = byKid[name] {
                return key.algorithm.rawValue == alg && key.verifies(signature, over: input)
            }
            fallthrough
        case nil:
            return byAlgorithm[alg]?.contains { $0.verifies(signature, over: input) } ?? false
        default:
            return false
        }
    }
}
