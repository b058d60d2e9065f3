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
}
