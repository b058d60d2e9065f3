import AuthGateCore
import AuthGateStore

/// `/auth/mfa/totp` (docs/mfa.md): a user with a fresh access token
/// (`SecondFactorChange`) starts a TOTP enrolment (POST), makes it active
/// with a first code (POST .../confirm, which answers the recovery codes,
/// once), or removes it with a current code (DELETE). Nothing is active
/// until the confirm. Wrong codes count toward the user's second-factor
/// limit, as at login.
enum TOTPEnrolmentHandler {
    /// RFC 4226 §4 asks for at least 128 bits; 160 is SHA-1's block of choice.
    static let secretBytes = 20

    @Sendable static func begin(_ request: Request, _ context: Context) throws -> Response {
        let keys = try keys(context)
        let (user, _, _) = try SecondFactorChange.authorize(request, context)
        let secret = try Crypto.randomBytes(secretBytes)
        let sealed = Base64URL.encode(try keys.box.seal(secret, boundTo: SecondFactorCode.secretContext(user.id)))
        guard try context.store.beginTOTP(userID: user.id, sealedSecret: sealed, now: context.now) else {
            throw SecondFactorError.alreadyEnrolled
        }
        let encoded = Base32.encode(secret)
        return .json(
            200,
            [("secret", .string(encoded)), ("otpauth_uri", .string(otpauthURI(secret: encoded, user, context.config)))],
            headers: TokenIssuer.responseHeaders)
    }

    /// The first factor restarts the user's sessions: the answer carries
    /// new tokens (`amr` otp) beside the recovery codes.
    @Sendable static func confirm(_ request: Request, _ context: Context) throws -> Response {
        let keys = try keys(context)
        let (user, hadFactors, _) = try SecondFactorChange.authorize(request, context)
        let code = try JSONBody(request).string("code")
        guard let enrolment = try context.store.totpEnrolment(ofUserID: user.id), !enrolment.confirmed else {
            throw SecondFactorError.noEnrolmentWaiting
        }
        var step: Int64 = 0
        try SecondFactorLimit(userID: user.id, context).attempt(username: user.username, logger: request.logger) {
            guard let secret = try SecondFactorCode.openSecret(enrolment, userID: user.id, keys: keys),
                let matched = try TOTP.matchingStep(code, secret: secret, now: context.now)
            else { return false }
            step = matched
            return true
        }
        let codes = try RecoveryCodes.generate()
        let digests = try codes.map { code throws in
            try RecoveryCodes.digest(RecoveryCodes.normalized(code) ?? code, key: keys.recoveryKey)
        }
        guard
            try context.store.confirmTOTP(
                userID: user.id, sealedSecret: enrolment.sealedSecret, step: step, recoveryDigests: digests,
                now: context.now)
        else { throw SecondFactorError.noEnrolmentWaiting }
        request.logger.notice("second factor enabled", metadata: ["username": "\(user.username)", "method": "totp"])
        var members: [(String, JSONValue)] = [
            ("message", .string("TOTP enabled")), ("recovery_codes", .array(codes.map { .string($0) }))
        ]
        var headers = TokenIssuer.responseHeaders
        if !hadFactors {
            let restarted = try SecondFactorChange.restartSessions(
                of: user, amr: SecondFactorCode.passwordAndOTP, context)
            members.append(("tokens", restarted.tokens))
            headers = restarted.headers
        }
        return .json(200, members, headers: headers)
    }

    @Sendable static func remove(_ request: Request, _ context: Context) throws -> Response {
        let keys = try keys(context)
        let (user, _, amr) = try SecondFactorChange.authorize(request, context)
        let code = try JSONBody(request).string("code")
        guard try context.store.totpEnrolment(ofUserID: user.id)?.confirmed == true else {
            throw SecondFactorError.notEnrolled
        }
        try SecondFactorLimit(userID: user.id, context).attempt(username: user.username, logger: request.logger) {
            try SecondFactorCode.accept(code, for: user.id, keys: keys, context)
        }
        _ = try context.store.removeTOTP(userID: user.id)
        return try SecondFactorChange.removed("totp", of: user, amr: amr, message: "TOTP disabled", request, context)
    }

    /// 501 when the server has no key to seal secrets with.
    private static func keys(_ context: Context) throws -> SecondFactorKeys {
        guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
        return keys
    }

    /// Key URI Format (Google Authenticator's, which every app reads):
    /// `otpauth://totp/ISSUER:USER?secret=...&issuer=ISSUER&...`.
    static func otpauthURI(secret: String, _ user: UserRecord, _ config: Config) -> String {
        let issuer = URLComponent.encode(config.mfaIssuer)
        return "otpauth://totp/\(issuer):\(URLComponent.encode(user.username))?secret=\(secret)&issuer=\(issuer)"
            + "&algorithm=SHA1&digits=\(TOTP.digits)&period=\(TOTP.period)"
    }
}
