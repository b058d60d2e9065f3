import AuthGateCore

/// Tokens signed in process the way a forger or another issuer would:
/// any header, any claims, any key, HS256/384/512.
package enum TokenForge {
    package static let hs256Header = #"{"alg":"HS256","typ":"JWT"}"#

    /// Flask-JWT-Extended's claims for `subject` issued at `now`, with
    /// `overrides` replacing a claim, removing it (`nil`) or adding one.
    package static func claims(
        _ overrides: [String: JSONValue?] = [:], subject: String = "alice", kind: String = "access",
        now: Double = TestApp.now, jti: String = "forged-jti"
    ) -> [UInt8] {
        let base: [(String, JSONValue)] = [
            ("fresh", .bool(false)), ("iat", .number(now)), ("jti", .string(jti)), ("type", .string(kind)),
            ("sub", .string(subject)), ("nbf", .number(now)), ("exp", .number(now + 900))
        ]
        var members: [(String, JSONValue)] = []
        for (key, value) in base {
            if let override = overrides[key] {
                if let override { members.append((key, override)) }
            } else {
                members.append((key, value))
            }
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !base.contains(where: { $0.0 == key }) {
            if let value { members.append((key, value)) }
        }
        return JSONWriter.object(members)
    }

    /// `header` and `payload` as given, signed with `key` under `digest`.
    package static func sign(
        payload: [UInt8], header: String = hs256Header, key: String = TestApp.secret,
        digest: Crypto.Digest = .sha256
    ) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
        return input + "." + Base64URL.encode(try Crypto.hmac(digest, key: Array(key.utf8), data: Array(input.utf8)))
    }

    package static func sign(payload: String, header: String = hs256Header) throws -> String {
        try sign(payload: Array(payload.utf8), header: header)
    }
}
