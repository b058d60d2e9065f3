import AuthGateCore

/// The second-factor answers (docs/mfa.md). `mfaRequired` carries the
/// challenge a login continues with; the rest are the client's own
/// mistakes, never logged beyond the request line.
package enum SecondFactorError: HTTPError, Equatable {
    /// The password was right and the user is enrolled: continue at
    /// `POST /auth/login/mfa` with `token`.
    case mfaRequired(token: String, methods: [String])
    /// `/auth/verify?mfa=1`: the token's login passed no second factor.
    case tokenWithoutSecondFactor
    /// The code is wrong, used already, or of another moment.
    case invalidCode
    /// The passkey's answer does not check out (signature, challenge,
    /// origin, counter), or names a passkey the user does not have.
    case invalidPasskey
    /// The passkey is registered already.
    case passkeyTaken
    /// The user has no passkey by that id.
    case unknownPasskey
    /// The `mfa_token` is malformed, forged, expired or used already.
    case invalidChallenge
    case alreadyEnrolled
    case noEnrolmentWaiting
    case notEnrolled
    /// No key to seal secrets with (`AUTHGATE_MFA_KEY`, or an HMAC secret).
    case unavailable

    package var httpStatus: Int {
        switch self {
        case .mfaRequired, .tokenWithoutSecondFactor, .invalidCode, .invalidChallenge, .invalidPasskey: return 401
        case .alreadyEnrolled, .noEnrolmentWaiting, .notEnrolled, .passkeyTaken: return 409
        case .unknownPasskey: return 404
        case .unavailable: return 501
        }
    }

    package var httpBody: [(String, JSONValue)] {
        switch self {
        case .mfaRequired(let token, let methods):
            return [
                ("message", .string("Second factor required")), ("error", .string("mfa_required")),
                ("mfa_token", .string(token)), ("methods", .array(methods.map { .string($0) }))
            ]
        case .tokenWithoutSecondFactor:
            return [("message", .string("Second factor required")), ("error", .string("mfa_required"))]
        case .invalidCode:
            return [("message", .string("Invalid or used code")), ("error", .string("invalid_mfa_code"))]
        case .invalidPasskey:
            return [("message", .string("The passkey was not accepted")), ("error", .string("invalid_passkey"))]
        case .passkeyTaken:
            return [
                ("message", .string("This passkey is registered already")), ("error", .string("passkey_registered"))
            ]
        case .unknownPasskey:
            return [("message", .string("No passkey of yours has this id")), ("error", .string("passkey_not_found"))]
        case .invalidChallenge:
            return [
                ("message", .string("Invalid, expired or used mfa_token: log in again")),
                ("error", .string("invalid_mfa_token"))
            ]
        case .alreadyEnrolled:
            return [("message", .string("A second factor is already enabled")), ("error", .string("mfa_enabled"))]
        case .noEnrolmentWaiting:
            return [
                ("message", .string("No TOTP enrolment is waiting: POST /auth/mfa/totp first")),
                ("error", .string("mfa_not_started"))
            ]
        case .notEnrolled:
            return [("message", .string("No second factor is enabled")), ("error", .string("mfa_not_enabled"))]
        case .unavailable:
            return [
                ("message", .string("Second factors are not configured on this server")),
                ("error", .string("mfa_unavailable"))
            ]
        }
    }

    package var httpHeaders: [(name: String, value: String)] {
        switch self {
        case .tokenWithoutSecondFactor: return [("WWW-Authenticate", "Bearer")]
        case .mfaRequired: return TokenIssuer.responseHeaders
        default: return []
        }
    }
}
