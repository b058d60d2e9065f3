import AuthGateCore
import AuthGateStore

/// The `mfa_token` of a login that passed its password and waits for a
/// second factor: `base64url(payload).base64url(HMAC-SHA256)`, signed with
/// a key of its own. It is not a JWT and no JWT key verifies it, so it
/// grants nothing anywhere else (here or in a Flask app sharing the
/// secret). Short-lived, and single-use: `consume` records its `jti` in
/// the blocklist, whatever the code turns out to be.
struct MFAChallenge: Equatable {
    static let lifetime: Double = 300

    let userID: String
    let username: String
    let jti: String
    let expires: Double

    static func issue(for user: UserRecord, keys: SecondFactorKeys, now: Double) throws -> String {
        let payload = JSONWriter.object([
            ("uid", .string(user.id)), ("sub", .string(user.username)), ("jti", .string(try UUID4.make())),
            ("exp", .number((now + lifetime).rounded(.down)))
        ])
        let encoded = Base64URL.encode(payload)
        let mac = try Crypto.hmac(.sha256, key: keys.challengeKey, data: Array(encoded.utf8))
        return encoded + "." + Base64URL.encode(mac)
    }

    /// The challenge `text` carries, when its MAC matches and it has not
    /// expired; nil for anything else.
    static func open(_ text: String, keys: SecondFactorKeys, now: Double) -> MFAChallenge? {
        let parts = Array(text.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64URL.decode(parts[1]),
            let expected = try? Crypto.hmac(.sha256, key: keys.challengeKey, data: Array(parts[0])),
            Crypto.constantTimeEqual(mac, expected),
            let payloadBytes = Base64URL.decode(parts[0]),
            case .object(let payload)? = try? JSONParser.parse(payloadBytes),
            let userID = payload["uid"]?.stringValue, let username = payload["sub"]?.stringValue,
            let jti = payload["jti"]?.stringValue, let expires = payload["exp"]?.numberValue,
            expires.isFinite, expires > now
        else { return nil }
        return MFAChallenge(userID: userID, username: username, jti: jti, expires: expires)
    }

    /// Uses the challenge up: true for the one call that did.
    func consume(_ context: Context) throws -> Bool {
        try context.store.revokeIfLive(
            jti: "mfa:" + jti, type: "mfa", now: context.now, expiresAt: expires)
    }
}
