import AuthGateCore
import AuthGateStore

/// A short-lived, single-use ticket of the second-factor ceremonies:
/// `base64url(payload).base64url(HMAC-SHA256)`, signed with a key of its
/// own. It is not a JWT and no JWT key verifies it, so it grants nothing
/// anywhere else (here or in a Flask app sharing the secret). Its `use`
/// says which ceremony it belongs to, so one is never taken for another:
/// `login` is the `mfa_token` of a login that passed its password;
/// `passkey-create` carries a passkey registration from its options to
/// its finish; `passkey-sign-in`, a sign-in by passkey alone (no user yet:
/// its `uid` and `sub` are empty). `consume` records its `jti` in the blocklist, whatever the
/// outcome of the attempt.
struct MFAChallenge: Equatable {
    static let lifetime: Double = 300

    enum Use: String {
        case login
        case passkeyCreate = "passkey-create"
        case passkeySignIn = "passkey-sign-in"
    }

    let use: Use
    let userID: String
    let username: String
    let jti: String
    let expires: Double

    /// A new ticket for `use`, of `user` (nil: none yet), and its text.
    static func issue(_ use: Use = .login, for user: UserRecord?, keys: SecondFactorKeys, now: Double) throws -> (
        ticket: MFAChallenge, text: String
    ) {
        let ticket = MFAChallenge(
            use: use, userID: user?.id ?? "", username: user?.username ?? "", jti: try UUID4.make(),
            expires: (now + lifetime).rounded(.down))
        let encoded = Base64URL.encode(
            JSONWriter.object([
                ("use", .string(use.rawValue)), ("uid", .string(ticket.userID)), ("sub", .string(ticket.username)),
                ("jti", .string(ticket.jti)), ("exp", .number(ticket.expires))
            ]))
        let mac = try Crypto.hmac(.sha256, key: keys.challengeKey, data: Array(encoded.utf8))
        return (ticket, encoded + "." + Base64URL.encode(mac))
    }

    /// The ticket `text` carries, when its MAC matches, it is for `use`
    /// and it has not expired; nil for anything else.
    static func open(_ text: String, _ use: Use = .login, keys: SecondFactorKeys, now: Double) -> MFAChallenge? {
        let parts = Array(text.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64URL.decode(parts[1]),
            let expected = try? Crypto.hmac(.sha256, key: keys.challengeKey, data: Array(parts[0])),
            Crypto.constantTimeEqual(mac, expected),
            let payloadBytes = Base64URL.decode(parts[0]),
            case .object(let payload)? = try? JSONParser.parse(payloadBytes),
            payload["use"]?.stringValue == use.rawValue,
            let userID = payload["uid"]?.stringValue, let username = payload["sub"]?.stringValue,
            let jti = payload["jti"]?.stringValue, let expires = payload["exp"]?.numberValue,
            expires.isFinite, expires > now
        else { return nil }
        return MFAChallenge(use: use, userID: userID, username: username, jti: jti, expires: expires)
    }

    /// The WebAuthn challenge of this ticket's ceremony: derived from its
    /// `jti`, so the server keeps no state between the options and the
    /// answer, and a challenge lives and dies with its ticket.
    func passkeyChallenge(keys: SecondFactorKeys) throws -> [UInt8] {
        try Crypto.hmac(.sha256, key: keys.passkeyChallengeKey, data: Array("webauthn \(use.rawValue) \(jti)".utf8))
    }

    /// Uses the ticket up: true for the one call that did.
    func consume(_ context: Context) throws -> Bool {
        try context.store.revokeIfLive(
            jti: "mfa:" + jti, type: "mfa", now: context.now, expiresAt: expires)
    }
}
