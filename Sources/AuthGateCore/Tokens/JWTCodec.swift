/// Compact JWS (RFC 7515) with Flask-JWT-Extended's claims, signed with
/// the key ring's current key and checked against its keys: see `KeyRing`
/// for which key and algorithm a token is checked with.
public struct JWTCodec: Sendable {
    public let keys: KeyRing
    public let leeway: Int64
    private let encodedHeader: String

    /// The algorithm new tokens are signed with.
    public var algorithm: JWTAlgorithm { keys.current.algorithm }

    public init(keys: KeyRing, leeway: Int64) {
        self.keys = keys
        self.leeway = leeway
        // PyJWT's layout (keys sorted), so the bytes match a token it signs.
        self.encodedHeader = Base64URL.encode(
            JSONWriter.object([
                ("alg", .string(keys.current.algorithm.rawValue)), ("kid", .string(keys.current.kid)),
                ("typ", .string("JWT"))
            ]))
    }

    /// One HMAC key (HS256, HS384 or HS512), no previous ones.
    public init(key: [UInt8], algorithm: JWTAlgorithm, leeway: Int64) throws {
        self.init(keys: try KeyRing(secret: key, algorithm: algorithm), leeway: leeway)
    }

    /// The signed token for `claims`.
    public func sign(_ claims: Claims) throws -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(claims.json())
        let signature = try keys.current.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// Verifies in the contract's order: signature, `alg` and `kid`, then `exp`,
    /// `nbf`, `iat` against `now` (seconds), then the claim types.
    public func verify(_ token: String, now: Double) throws(TokenError) -> Claims {
        try claims(from: verifiedPayload(token), now: now)
    }

    /// The payload of a token whose signature and `alg` check out. It
    /// depends on the token's bytes alone, so a caller may remember it;
    /// the payload is decoded only after the signature matched.
    public func verifiedPayload(_ token: String) throws(TokenError) -> [String: JSONValue] {
        let bytes = Array(token.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = Base64URL.decode(parts[0]),
            let signature = Base64URL.decode(parts[2]),
            case .object(let header)? = try? JSONParser.parse(headerBytes),
            let alg = header["alg"]?.stringValue,
            // RFC 7515 §4.1.11: a recipient must refuse a `crit` it does
            // not understand, and AuthGate implements no extension.
            header["crit"] == nil
        else { throw .invalidToken }
        let signingInput = Array(bytes[0..<(parts[0].count + 1 + parts[1].count)])
        guard keys.verifies(signature, over: signingInput, alg: alg, kid: header["kid"]) else { throw .invalidToken }
        guard let payloadBytes = Base64URL.decode(parts[1]),
            case .object(let payload)? = try? JSONParser.parse(payloadBytes)
        else { throw .invalidToken }
        return payload
    }

    /// The claims of a verified payload, checked against `now`.
    public func claims(from payload: [String: JSONValue], now: Double) throws(TokenError) -> Claims {
        guard let exp = payload["exp"]?.numberValue, exp.isFinite else { throw .invalidToken }
        let iat = try optionalNumber(payload["iat"])
        let nbf = try optionalNumber(payload["nbf"])
        let leeway = Double(leeway)
        // PyJWT: expired when exp <= now - leeway; immature when nbf/iat > now + leeway.
        if exp <= now - leeway { throw .expired }
        if let nbf, nbf > now + leeway { throw .invalidToken }
        if let iat, iat > now + leeway { throw .invalidToken }

        guard let subject = payload["sub"]?.stringValue,
            let kindName = payload["type"]?.stringValue,
            let kind = Claims.Kind(rawValue: kindName),
            let jti = payload["jti"]?.stringValue, Claims.isStorable(jti: jti)
        else { throw .invalidToken }
        var fresh = false
        switch payload["fresh"] {
        case .bool(let b)?: fresh = b
        case .number(let n)?: fresh = n > now  // Flask-JWT-Extended allows a freshness deadline
        default: break
        }
        // A family must fit where its revocation is stored, as a jti must.
        var family: String?
        if let fam = payload["fam"] {
            guard let name = fam.stringValue, Claims.isStorable(jti: name) else { throw .invalidToken }
            family = name
        }
        // Whole seconds; one beyond Int64 cannot be a real login time.
        var authTime: Int64?
        if let n = try optionalNumber(payload["auth_time"]) {
            guard let seconds = Int64(exactly: n.rounded(.down)) else { throw .invalidToken }
            authTime = seconds
        }
        // Compared with the CSRF header only when a cookie carried the token.
        var csrf: String?
        if let value = payload["csrf"] {
            guard let text = value.stringValue else { throw .invalidToken }
            csrf = text
        }
        // Read for the second-factor check only. Another issuer's `amr`
        // that is not an array of strings (a Flask app may add its own) is
        // not a reason to refuse the token: it proves no second factor.
        var amr: [String]?
        if case .array(let items)? = payload["amr"] {
            let methods = items.compactMap(\.stringValue)
            if methods.count == items.count { amr = methods }
        }
        return Claims(
            subject: subject, kind: kind, fresh: fresh, jti: jti,
            issuedAt: Int64(exactly: (iat ?? 0).rounded(.down)) ?? 0,
            notBefore: Int64(exactly: (nbf ?? 0).rounded(.down)) ?? 0,
            expires: exp, family: family, authTime: authTime, csrf: csrf, amr: amr)
    }

    private func optionalNumber(_ value: JSONValue?) throws(TokenError) -> Double? {
        switch value {
        case nil: return nil
        case .number(let n)? where n.isFinite: return n
        default: throw .invalidToken
        }
    }
}
