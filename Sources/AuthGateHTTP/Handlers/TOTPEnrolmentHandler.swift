import AuthGateCore
import AuthGateStore

/// `/auth/mfa/totp` (docs/mfa.md): a user with a fresh access token starts
/// a TOTP enrolment (POST), makes it active with a first code (POST
/// .../confirm, which answers the recovery codes, once), or removes it
/// with a current code (DELETE). Nothing is active until the confirm.
enum TOTPEnrolmentHandler {
    /// RFC 4226 §4 asks for at least 128 bits; 160 is SHA-1's block of choice.
    static let secretBytes = 20

    @Sendable static func begin(_ request: Request, _ context: Context) throws -> Response {
        let (keys, user) = try freshUser(request, context)
        let secret = try Crypto.randomBytes(secretBytes)
        let sealed = Base64URL.encode(try keys.box.seal(secret, boundTo: Array(user.id.utf8)))
        guard try context.store.beginTOTP(userID: user.id, sealedSecret: sealed, now: context.now) else {
            throw SecondFactorError.alreadyEnrolled
        }
        let encoded = Base32.encode(secret)
        return .json(
            200,
            [("secret", .string(encoded)), ("otpauth_uri", .string(otpauthURI(secret: encoded, user, context.config)))],
            headers: TokenIssuer.responseHeaders)
    }

    @Sendable static func confirm(_ request: Request, _ context: Context) throws -> Response {
        let (keys, user) = try freshUser(request, context)
        let code = try JSONBody(request).string("code")
        guard let enrolment = try context.store.totpEnrolment(ofUserID: user.id), !enrolment.confirmed else {
            throw SecondFactorError.noEnrolmentWaiting
        }
        guard let secret = try SecondFactorCode.openSecret(enrolment, userID: user.id, keys: keys),
            let step = try TOTP.matchingStep(code, secret: secret, now: context.now)
        else { throw SecondFactorError.invalidCode }
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
        return .json(
            200,
            [
                ("message", .string("TOTP enabled")),
                ("recovery_codes", .array(codes.map { .string($0) }))
            ], headers: TokenIssuer.responseHeaders)
    }

    @Sendable static func remove(_ request: Request, _ context: Context) throws -> Response {
        let (keys, user) = try freshUser(request, context)
        let code = try JSONBody(request).string("code")
        guard try context.store.totpEnrolment(ofUserID: user.id)?.confirmed == true else {
            throw SecondFactorError.notEnrolled
        }
        guard try SecondFactorCode.accept(code, for: user.id, keys: keys, context) else {
            throw SecondFactorError.invalidCode
        }
        _ = try context.store.removeTOTP(userID: user.id)
        request.logger.notice("second factor removed", metadata: ["username": "\(user.username)", "method": "totp"])
        return .json(200, [("message", .string("TOTP disabled"))])
    }

    /// The user of a fresh access token (as Flask-JWT-Extended's
    /// `fresh=True` routes want: a token from a password login, not a
    /// refresh), and the keys; 501 when the server has none.
    private static func freshUser(_ request: Request, _ context: Context) throws -> (SecondFactorKeys, UserRecord) {
        guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
        let (claims, user) = try Authenticator.authenticate(request, context, kind: .access)
        guard claims.fresh else { throw FreshTokenRequired() }
        return (keys, user)
    }

    /// Key URI Format (Google Authenticator's, which every app reads):
    /// `otpauth://totp/ISSUER:USER?secret=...&issuer=ISSUER&...`.
    static func otpauthURI(secret: String, _ user: UserRecord, _ config: Config) -> String {
        let issuer = URLComponent.encode(config.mfaIssuer)
        return "otpauth://totp/\(issuer):\(URLComponent.encode(user.username))?secret=\(secret)&issuer=\(issuer)"
            + "&algorithm=SHA1&digits=\(TOTP.digits)&period=\(TOTP.period)"
    }
}
