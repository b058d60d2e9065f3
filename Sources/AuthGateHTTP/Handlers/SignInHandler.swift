import AuthGateCore
import AuthGateStore
/// GET|POST /auth/sign-in: the sign-in page of cookie mode
/// (docs/browser-sessions.md). GET serves the form; POST runs the same
/// login as `POST /auth/login` (the KDF pool, the throttle, the audit
/// events), sets the token and CSRF cookies and answers 303 to `rd`, a
/// safe return address (`SafeRedirect`). A refused attempt re-renders the
/// form with one generic message. Without cookie mode there is no page:
/// 404, as for any unknown path.
enum SignInHandler {
    static let refusedMessage = "Invalid username or password."

    @Sendable static func page(_ request: Request, _ context: Context) throws -> Response {
        let config = context.config
        guard config.cookies.enabled else { throw APIError.notFound }
        if let page = misconfigured(request, config) { return page }
        let rd = SafeRedirect.target(request.queryValue("rd"), allowed: config.redirectHosts)
        let (token, cookie) = try formToken(request, config)
        let notice: SignInPage.Notice = request.queryValue("signed_out") == "1" ? .info("You are signed out.") : .none
        return SignInPage.render(
            status: 200, action: request.path, rd: rd, formToken: token, notice: notice,
            config: config, extraHeaders: cookie, passkey: try passkeyOffer(context))
    }

    @Sendable static func signIn(_ request: Request, _ context: Context) throws -> Response {
        let post: SignInFormPost
        switch try SignInFormPost.start(request, context, signInPath: request.path) {
        case .answer(let page): return page
        case .post(let started): post = started
        }
        let username = post.form.value("username") ?? ""
        // Login CSRF: checked before the password, so a forged post costs no key derivation.
        if let refusal = post.forgeryRefusal(username: username) { return refusal }
        guard let password = post.form.value("password"), !username.isEmpty, !password.isEmpty else {
            return post.again(400, "Enter your username and password.", username: username)
        }
        let user: UserRecord
        let secondFactors: [String]
        do {
            (user, secondFactors) = try Credentials.verify(username: username, password: password, request, context)
        } catch let error as APIError where error.status == 400 {
            return post.again(400, refusedMessage, username: username)
        } catch let error as APIError where error.status == 429 {
            return post.tooMany(error, username: username)
        }
        // An enrolled user continues at the second step (docs/mfa.md).
        if !secondFactors.isEmpty {
            guard let keys = context.services.secondFactorKeys else { throw SecondFactorError.unavailable }
            let (challenge, mfaToken) = try MFAChallenge.issue(for: user, keys: keys, now: context.now)
            var passkeyOptions: JSONValue?
            if let settings = context.config.passkeys,
                let options = try LoginMFAHandler.passkeyRequestOptions(
                    for: challenge, keys: keys, settings: settings, context)
            {
                passkeyOptions = .object(["publicKey": options])
            }
            return SignInPage.renderSecondStep(
                status: 200, action: request.path + "/mfa", rd: post.rd, formToken: post.token, mfaToken: mfaToken,
                methods: secondFactors, passkeyOptions: passkeyOptions, config: context.config,
                extraHeaders: post.cookie)
        }
        return try signedIn(user, amr: nil, rd: post.rd, context)
    }

    /// POST /auth/sign-in/mfa: the second step's form (`mfa_token`, `code`
    /// or `webauthn`, `rd`, the form token), checked as `POST
    /// /auth/login/mfa` checks its body. A wrong answer uses the challenge
    /// up: the form starts again.
    @Sendable static func secondStep(_ request: Request, _ context: Context) throws -> Response {
        let post: SignInFormPost
        switch try SignInFormPost.start(request, context, signInPath: String(request.path.dropLast("/mfa".count))) {
        case .answer(let page): return page
        case .post(let started): post = started
        }
        if let refusal = post.forgeryRefusal() { return refusal }
        do {
            let (user, amr) = try LoginMFAHandler.verify(
                mfaToken: post.form.value("mfa_token") ?? "", proof: try proof(of: post.form), request, context)
            return try signedIn(user, amr: amr, rd: post.rd, context)
        } catch {
            return try post.refused(error, "That code was not accepted. Please sign in again.")
        }
    }

    /// POST /auth/sign-in/passkey: a sign-in by passkey alone from the
    /// page's button (`state`, `webauthn`, `rd`, the form token), checked
    /// as `POST /auth/login/passkey/finish` checks its body.
    @Sendable static func passkey(_ request: Request, _ context: Context) throws -> Response {
        _ = try SecondFactorKeys.forPasskeys(context)
        let post: SignInFormPost
        switch try SignInFormPost.start(
            request, context, signInPath: String(request.path.dropLast("/passkey".count)))
        {
        case .answer(let page): return page
        case .post(let started): post = started
        }
        if let refusal = post.forgeryRefusal() { return refusal }
        do {
            guard let field = post.form.value("webauthn"), let json = try? JSONParser.parse(Array(field.utf8)) else {
                throw SecondFactorError.invalidPasskey
            }
            let user = try PasskeySignIn.verify(
                state: post.form.value("state") ?? "", assertion: try PasskeyAssertion(json), request, context)
            return try signedIn(user, amr: PasskeySignIn.amr, rd: post.rd, context)
        } catch {
            return try post.refused(error, "That passkey was not accepted. Please try again.")
        }
    }

    /// A sign-in by passkey alone for the page to offer; nil while passkeys are off.
    static func passkeyOffer(_ context: Context) throws -> (options: JSONValue, state: String)? {
        guard context.config.passkeys != nil, context.services.secondFactorKeys != nil else { return nil }
        let (publicKey, state) = try PasskeySignIn.options(context)
        return (.object(["publicKey": publicKey]), state)
    }

    /// The second step's answer: the passkey's (the page's script puts it
    /// in `webauthn` as JSON) or the typed code. A `webauthn` field that
    /// is not the JSON of an answer is a wrong answer, as a wrong code is.
    private static func proof(of form: FormBody) throws -> LoginMFAHandler.Proof {
        guard let field = form.value("webauthn"), !field.isEmpty else { return .code(form.value("code") ?? "") }
        guard let json = try? JSONParser.parse(Array(field.utf8)), let assertion = try? PasskeyAssertion(json) else {
            throw SecondFactorError.invalidPasskey
        }
        return .passkey(assertion)
    }

    /// The 303 back to `rd` with the session cookies.
    private static func signedIn(_ user: UserRecord, amr: [String]?, rd: String, _ context: Context) throws
        -> Response
    {
        let (access, refresh) = try TokenIssuer(context).login(for: user, amr: amr)
        return Response(
            status: 303,
            headers: [("Location", rd)] + SignInPage.headers(context.config)
                + SessionCookies.set(access: access, refresh: refresh, context.config.cookies), body: [])
    }

    /// The page that explains a cookie setting this browser would refuse
    /// (`CookieDelivery`), instead of a sign-in that would loop; nil when
    /// the cookies will stick.
    static func misconfigured(_ request: Request, _ config: Config) -> Response? {
        guard let problem = CookieDelivery.problem(request, config.cookies) else { return nil }
        // At notice, not warning: the Host header that may cause it is the client's.
        request.logger.notice("sign-in cookies would be refused by the browser", metadata: ["problem": "\(problem)"])
        return SignInPage.problem(status: 500, title: "Sign-in is misconfigured", text: problem, config: config)
    }

    /// The browser's form token, or a new one with the cookie that sets it.
    static func formToken(_ request: Request, _ config: Config) throws -> (String, [(name: String, value: String)]) {
        if let current = SignInFormToken.current(request, config.cookies) { return (current, []) }
        let token = try SignInFormToken.make()
        return (token, [SignInFormToken.cookie(token, config.cookies)])
    }
}
