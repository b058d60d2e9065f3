import AuthGateCore

/// The username an audit event is about, where the request names one: the
/// `username` of a login or register body, the user of a login's second
/// step (its `mfa_token`), or the subject of the token a successful
/// logout revoked. Read again from the request after the answer
/// (only for these few routes), so no handler has to hand it over. Nothing
/// else of the body or token is ever read here: never the password.
package enum AuditSubject {
    /// Longer names are cut: a log line stays a line.
    static let maxCharacters = 128

    package static func username(for event: AuditEvent, purpose: RouteLabel.Purpose, request: Request) -> String? {
        switch purpose {
        case .login, .register: return bodyUsername(request.body)
        case .loginSecondStep: return challengeSubject(request.body)
        case .logout where event == .logout: return tokenSubject(request.headers["authorization"])
        default: return nil
        }
    }

    /// `username` of a JSON object body, when it is a string.
    static func bodyUsername(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, let value = try? JSONParser.parse(body), let name = value["username"]?.stringValue else {
            return nil
        }
        return cut(name)
    }

    /// `sub` of the body's `mfa_token`. As a login body's `username`, it is
    /// what the client sent: a forged ticket names whoever it likes, and
    /// is refused (login.failure) all the same.
    static func challengeSubject(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, let token = (try? JSONParser.parse(body))?["mfa_token"]?.stringValue,
            let first = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).first,
            let payload = Base64URL.decode(first), let sub = (try? JSONParser.parse(payload))?["sub"]?.stringValue
        else { return nil }
        return cut(sub)
    }

    /// `sub` of a bearer token's payload. Its signature is not checked
    /// again: this runs only after the logout handler verified this very
    /// token and answered 200.
    static func tokenSubject(_ header: String?) -> String? {
        guard let header else { return nil }
        let fields = header.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 2 else { return nil }
        let parts = fields[1].utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]),
            let sub = (try? JSONParser.parse(payload))?["sub"]?.stringValue
        else { return nil }
        return cut(sub)
    }

    private static func cut(_ name: String) -> String {
        name.count <= maxCharacters ? name : String(name.prefix(maxCharacters))
    }
}
