import AuthGateCore
import AuthGateStore

/// What every form post of the sign-in pages shares: cookie mode on (404
/// otherwise), the check that the browser will keep the cookies, the form,
/// a safe `rd`, the browser's form token, and the password form to answer
/// with when the post is refused (with the passkey offer, when passkeys
/// are on).
struct SignInFormPost {
    enum Start {
        case post(SignInFormPost)
        /// A page to answer at once (a cookie setting the browser would refuse).
        case answer(Response)
    }

    let request: Request
    let context: Context
    let form: FormBody
    let rd: String
    let token: String
    let cookie: [(name: String, value: String)]
    /// The path of the password form: refused posts show it again.
    let signInPath: String
    let offer: (options: JSONValue, state: String)?

    static func start(_ request: Request, _ context: Context, signInPath: String) throws -> Start {
        let config = context.config
        guard config.cookies.enabled else { throw APIError.notFound }
        if let page = SignInHandler.misconfigured(request, config) { return .answer(page) }
        let form = FormBody(request)
        let (token, cookie) = try SignInHandler.formToken(request, config)
        return .post(
            SignInFormPost(
                request: request, context: context, form: form,
                rd: SafeRedirect.target(form.value("rd"), allowed: config.redirectHosts), token: token,
                cookie: cookie, signInPath: signInPath, offer: try SignInHandler.passkeyOffer(context)))
    }

    /// The password form again, with `message` above it.
    func again(
        _ status: Int, _ message: String, username: String = "", _ headers: [(name: String, value: String)] = []
    ) -> Response {
        SignInPage.render(
            status: status, action: signInPath, rd: rd, formToken: token, username: username,
            notice: .error(message), config: context.config, extraHeaders: cookie + headers, passkey: offer)
    }

    /// Login CSRF, checked before anything costs work: nil when the form
    /// token is this browser's, else the page that says so.
    func forgeryRefusal(username: String = "") -> Response? {
        guard !SignInFormToken.accepts(request, form: form, context.config.cookies) else { return nil }
        return again(
            403, "This sign-in form has expired or came from another site. Please sign in again.", username: username)
    }

    /// The page for a refused second factor or passkey (`message`), or the
    /// throttle's wait; anything else (the store down, no key) is rethrown.
    func refused(_ error: any Error, _ message: String) throws -> Response {
        switch error {
        case let refusal as SecondFactorError where refusal != .unavailable:
            return again(401, message)
        case let apiError as APIError where apiError.status == 400:
            return again(400, message)
        case let apiError as APIError where apiError.status == 429:
            return tooMany(apiError)
        default:
            throw error
        }
    }

    func tooMany(_ error: APIError, username: String = "") -> Response {
        again(
            429, "Too many failed sign-in attempts. Please wait and try again.", username: username,
            error.headers.map { (name: $0.key, value: $0.value) })
    }
}
