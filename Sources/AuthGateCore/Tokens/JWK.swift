/// Public keys as JSON Web Keys (RFC 7517/7518/8037) and their RFC 7638
/// thumbprints.
enum JWK {
    struct Unsupported: Error {}

    /// The members a thumbprint covers, in lexicographic order: the key's
    /// type and public values only.
    static func requiredMembers(of key: AsymmetricKey) throws -> [(String, JSONValue)] {
        func b64(_ bytes: [UInt8]?) throws -> JSONValue {
            guard let bytes else { throw Unsupported() }
            return .string(Base64URL.encode(bytes))
        }
        switch key.kind {
        case .ed25519:
            return [("crv", .string("Ed25519")), ("kty", .string("OKP")), ("x", try b64(key.rawPublicKey()))]
        case .p256:
            return [
                ("crv", .string("P-256")), ("kty", .string("EC")),
                ("x", try b64(key.parameter("qx", width: 32))), ("y", try b64(key.parameter("qy", width: 32)))
            ]
        case .rsa:
            return [("e", try b64(key.parameter("e"))), ("kty", .string("RSA")), ("n", try b64(key.parameter("n")))]
        }
    }

    /// base64url(SHA-256(the required members as compact JSON)).
    static func thumbprint(of key: AsymmetricKey) throws -> String {
        Base64URL.encode(try Crypto.sha256(JSONWriter.object(try requiredMembers(of: key))))
    }

    /// The key's JWK for a key set: its public values, `kid`, `alg`, `use`.
    static func entry(for key: JWTKey) throws -> [(String, JSONValue)]? {
        guard let asymmetric = key.asymmetricKey else { return nil }
        return try requiredMembers(of: asymmetric)
            + [("kid", .string(key.kid)), ("alg", .string(key.algorithm.rawValue)), ("use", .string("sig"))]
    }
}
