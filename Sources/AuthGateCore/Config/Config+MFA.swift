/// Parsing of the second-factor settings (docs/mfa.md).
extension Config {
    /// Shortest `AUTHGATE_MFA_KEY` accepted: it seals every TOTP secret.
    static let minimumMFAKeyBytes = 32

    /// `AUTHGATE_MFA_KEY` (also `_FILE` or a credential), else the HMAC
    /// secret: what TOTP secrets are sealed with (`MFASecretBox` derives
    /// its own key from it). Empty when neither is set (an asymmetric
    /// algorithm with no HMAC secret): enrolment is then refused.
    static func mfaKey(_ secrets: inout SecretReader, jwtKey: [UInt8]) throws(ConfigError) -> [UInt8] {
        guard let key = try secrets.secret("AUTHGATE_MFA_KEY") else { return jwtKey }
        guard key.bytes.count >= minimumMFAKeyBytes else {
            throw ConfigError(
                variable: key.variable,
                message: "expected at least \(minimumMFAKeyBytes) bytes (`authgate gen-secret` makes one)")
        }
        return key.bytes
    }

    /// `AUTHGATE_MFA_ISSUER`: the issuer an authenticator app shows beside
    /// the account (default `AuthGate`); printable ASCII, at most 64 bytes.
    static func mfaIssuer(_ raw: String?) throws(ConfigError) -> String {
        guard let raw, !raw.isEmpty else { return "AuthGate" }
        guard raw.utf8.count <= 64, raw.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
        else {
            throw ConfigError(
                variable: "AUTHGATE_MFA_ISSUER", message: "expected up to 64 printable ASCII characters, no colon")
        }
        return raw
    }

    /// `AUTHGATE_WEBAUTHN_RP_ID` and `AUTHGATE_WEBAUTHN_ORIGIN`: passkeys
    /// are on when both are set, off (nil) when neither is. The RP ID is a
    /// lowercase host name; the origin is `https://HOST[:PORT]` where HOST
    /// is the RP ID or one of its subdomains, or `http://localhost[:PORT]`
    /// for an RP ID of `localhost` (the one insecure origin browsers allow).
    static func passkeySettings(rpID rawID: String?, origin rawOrigin: String?, name: String)
        throws(ConfigError) -> PasskeySettings?
    {
        let rpID = rawID ?? ""
        let origin = rawOrigin ?? ""
        if rpID.isEmpty, origin.isEmpty { return nil }
        guard !rpID.isEmpty, rpID.utf8.count <= 253,
            rpID.utf8.allSatisfy({
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
                    || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
            }), !rpID.hasPrefix("."), !rpID.hasSuffix(".")
        else {
            throw ConfigError(
                variable: "AUTHGATE_WEBAUTHN_RP_ID",
                message: "expected a lowercase host name such as example.com (set it with AUTHGATE_WEBAUTHN_ORIGIN)")
        }
        let scheme = rpID == "localhost" && origin.hasPrefix("http://") ? "http://" : "https://"
        var host = Substring(origin.hasPrefix(scheme) ? origin.dropFirst(scheme.count) : "")
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            // As a browser writes an origin: no leading zero, no default port.
            let defaultPort = scheme == "https://" ? "443" : "80"
            guard !port.isEmpty, port.utf8.count <= 5, port.allSatisfy(\.isASCII), let number = UInt16(port),
                number > 0, !port.hasPrefix("0"), port != defaultPort
            else {
                throw ConfigError(
                    variable: "AUTHGATE_WEBAUTHN_ORIGIN",
                    message: "the port must be a number as a browser writes it (none for \(defaultPort))")
            }
            host = host[..<colon]
        }
        guard host == rpID || host.hasSuffix("." + rpID) else {
            throw ConfigError(
                variable: "AUTHGATE_WEBAUTHN_ORIGIN",
                message:
                    "expected https://\(rpID) (or a subdomain, with an optional port), as the browser shows it; http only for localhost"
            )
        }
        return PasskeySettings(rpID: rpID, origin: origin, rpName: name)
    }
}

/// Passkeys (WebAuthn) settings: where the browser runs the ceremonies.
public struct PasskeySettings: Sendable, Equatable {
    public var rpID: String
    public var origin: String
    /// The name an authenticator shows (`AUTHGATE_MFA_ISSUER`).
    public var rpName: String
}
