/// Answers of the opt-in login throttle and the registration controls.
extension APIError {
    /// The login throttle refused the attempt before checking the password.
    public static func tooManyFailedLogins(retryAfter seconds: Int) -> APIError {
        APIError(status: 429, message: "Too many failed login attempts", headers: ["Retry-After": String(seconds)])
    }
    public static func tooManyFailedSecondFactors(retryAfter seconds: Int) -> APIError {
        APIError(
            status: 429, message: "Too many failed second-factor attempts", headers: ["Retry-After": String(seconds)])
    }
    public static let registrationClosed = APIError(status: 403, message: "Registration is closed")
    public static let emailDomainNotAllowed = APIError(
        status: 403,
        message: "Registration is not open to this email domain")
}
