import AuthGateCore
/// POST /auth/sign-out: ends the browser's session. The access and refresh
/// tokens its cookies hold are revoked (with `AUTHGATE_LOGOUT_SCOPE=session`
/// their whole login), every cookie of cookie mode is deleted with the
/// path, domain and SameSite it was set with, and the answer is a 303 to a
/// safe `rd`, else to the sign-in page. A cookie-borne session is ended
/// only by a post that proves the CSRF value (the form field
/// `JWT_ACCESS_CSRF_FIELD_NAME`, `csrf_token` by default, or
/// the CSRF header) of one of its tokens (an expired access token's too),
/// so another site cannot sign a person out.
enum SignOutHandler {
    @Sendable static func signOut(_ request: Request, _ context: Context) throws -> Response {
        let config = context.config
        let cookies = config.cookies
        guard cookies.enabled else { throw APIError.notFound }
        let form = FormBody(request)
        let prefix = request.path.hasPrefix("/api/") ? "/api" : ""
        let fallback = prefix + BrowserNavigation.signInPath + "?signed_out=1"
        let rd = form.value("rd").map { SafeRedirect.target($0, allowed: config.redirectHosts) } ?? fallback
        // A browser that says the post came from another site is refused
        // outright: nothing revoked, no cookie touched.
        if request.headers["sec-fetch-site"]?.lowercased() == "cross-site" { throw TokenError.csrfMissing }
        let header = request.headers["cookie"]
        var sessions: [Claims] = []
        // The CSRF values of the cookies' tokens whose signature holds,
        // expired ones included: a page open past the access token's
        // lifetime still sends the value it read then, and must sign out.
        var csrfValues: [[UInt8]] = []
        for (name, kind) in [(cookies.accessName, Claims.Kind.access), (cookies.refreshName, .refresh)] {
            guard let token = try? TokenCookie.token(named: name, in: header),
                let payload = try? context.verifiedPayload(tokenBytes: token)
            else { continue }
            if let csrf = payload["csrf"]?.stringValue { csrfValues.append(Array(csrf.utf8)) }
            if let (claims, _) = try? Authenticator.authenticate(token: token, context, kind: kind) {
                sessions.append(claims)
            }
        }
        // The page sends the value of a CSRF cookie, which only a page of
        // this site can read: it must be the `csrf` of one of the tokens.
        if cookies.csrfProtect, !sessions.isEmpty {
            guard
                let sent = form.value(cookies.accessCSRFField)
                    ?? request.headers[cookies.accessCSRFHeader.lowercased()],
                !sent.isEmpty
            else { throw TokenError.csrfMissing }
            guard csrfValues.contains(where: { Crypto.constantTimeEqual($0, Array(sent.utf8)) }) else {
                throw TokenError.csrfMismatch
            }
        }
        for claims in sessions { try LogoutHandler.revoke(claims, context) }
        let ended = sessions.count
        if ended > 0 { request.logger.info("signed out", metadata: ["tokens": "\(ended)"]) }
        return Response(
            status: 303,
            headers: [("Location", rd)] + SignInPage.headers(config)
                + SessionCookies.clear(cookies), body: [])
    }
}
