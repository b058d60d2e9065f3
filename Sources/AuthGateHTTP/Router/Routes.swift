/// The route table of shared/API.md (v1.1, and v1.2's forward auth), and
/// cookie mode's browser pages. Every auth route answers under both
/// `/auth` and `/api/auth`. A row declares its lane: a handler that
/// derives a key must say `.keyDerivation`, or scrypt would run on the
/// threads that serve reads.
public enum Routes {
    public static let authPrefixes = ["/auth", "/api/auth"]

    public static let table: [Route] = {
        var rows: [Route] = []
        for prefix in authPrefixes {
            rows.append(
                Route(
                    method: "POST", path: prefix + "/register", handler: RegisterHandler.handle,
                    lane: .keyDerivation))
            rows.append(
                Route(
                    method: "POST", path: prefix + "/login", handler: LoginHandler.handle,
                    lane: .keyDerivation))
            // Second factors (docs/mfa.md): no key derivation, the password step did it.
            rows.append(Route(method: "POST", path: prefix + "/login/mfa", handler: LoginMFAHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/login/passkey", handler: PasskeySignInHandler.options))
            rows.append(
                Route(method: "POST", path: prefix + "/login/passkey/finish", handler: PasskeySignInHandler.finish))
            rows.append(
                Route(method: "POST", path: prefix + "/login/mfa/webauthn", handler: LoginMFAHandler.passkeyOptions))
            rows.append(
                Route(
                    method: "POST", path: prefix + "/mfa/webauthn/register", handler: PasskeyRegistrationHandler.options
                ))
            rows.append(
                Route(
                    method: "POST", path: prefix + "/mfa/webauthn/register/finish",
                    handler: PasskeyRegistrationHandler.finish))
            rows.append(Route(method: "GET", path: prefix + "/mfa", handler: MFAStatusHandler.handle))
            rows.append(
                Route(method: "DELETE", path: prefix + "/mfa/webauthn", handler: PasskeyRemovalHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/mfa/totp", handler: TOTPEnrolmentHandler.begin))
            rows.append(Route(method: "DELETE", path: prefix + "/mfa/totp", handler: TOTPEnrolmentHandler.remove))
            rows.append(
                Route(method: "POST", path: prefix + "/mfa/totp/confirm", handler: TOTPEnrolmentHandler.confirm))
            rows.append(Route(method: "GET", path: prefix + "/refresh", handler: RefreshHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/refresh", handler: RefreshHandler.handle))
            rows.append(Route(method: "GET", path: prefix + "/whoami", handler: WhoAmIHandler.handle))
            rows.append(Route(method: "GET", path: prefix + "/logout", handler: LogoutHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/logout", handler: LogoutHandler.handle))
            // The forward-auth recipe passes the method and URI of the request it asks about.
            rows.append(
                Route(
                    method: "GET", path: prefix + "/verify", handler: VerifyHandler.handle,
                    parameters: [Request.originalMethodParameter, Request.originalURIParameter]))
            // Cookie mode's browser pages (docs/browser-sessions.md); 404 without it.
            rows.append(Route(method: "GET", path: prefix + "/sign-in", handler: SignInHandler.page))
            rows.append(
                Route(
                    method: "POST", path: prefix + "/sign-in", handler: SignInHandler.signIn,
                    lane: .keyDerivation, body: .form))
            rows.append(
                Route(method: "POST", path: prefix + "/sign-in/mfa", handler: SignInHandler.secondStep, body: .form))
            rows.append(
                Route(method: "POST", path: prefix + "/sign-in/passkey", handler: SignInHandler.passkey, body: .form))
            rows.append(Route(method: "POST", path: prefix + "/sign-out", handler: SignOutHandler.signOut, body: .form))
            rows.append(Route(method: "GET", path: prefix + "/refresh-session", handler: SessionRefreshHandler.handle))
        }
        rows.append(Route(method: "GET", path: "/api/users/all", handler: UsersListHandler.handle))
        rows.append(Route(method: "GET", path: "/healthz", handler: HealthHandler.handle))
        rows.append(Route(method: "GET", path: "/livez", handler: LivenessHandler.handle))
        rows.append(Route(method: "GET", path: "/.well-known/jwks.json", handler: JWKSHandler.handle))
        // Only nginx's loopback metrics server sets the gate's parameter.
        rows.append(
            Route(
                method: "GET", path: MetricsEndpoint.path, handler: MetricsEndpoint.handle,
                gate: Route.Gate(parameter: MetricsEndpoint.parameter, value: "1")))
        return rows
    }()

    public static let router = Router(table)
}
