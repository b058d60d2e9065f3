import AuthGateCore
import AuthGateStore
/// The sign-in page's second step (docs/mfa.md): one field for a code
/// from the authenticator app or a recovery code, posted with the
/// challenge of the password step. Plain HTML, no script needed.
extension SignInPage {
    static func renderCodeStep(
        status: Int, action: String, rd: String, formToken: String, mfaToken: String,
        notice: Notice = .none, config: Config, extraHeaders: [(name: String, value: String)] = []
    ) -> Response {
        var main = "<h1>Two-step verification</h1>\n"
        var describedBy = " aria-describedby=\"hint\""
        if case .error(let text) = notice {
            main += "<p class=\"error\" id=\"notice\" role=\"alert\">\(escape(text))</p>\n"
            describedBy = " aria-describedby=\"notice hint\""
        }
        main += """
            <form method="post" action="\(escape(action))"\(describedBy)>
            <input type="hidden" name="rd" value="\(escape(rd))">
            <input type="hidden" name="\(SignInFormToken.field)" value="\(escape(formToken))">
            <input type="hidden" name="mfa_token" value="\(escape(mfaToken))">
            <p id="hint">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
            <label for="code">Code</label>
            <input id="code" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus>
            <button type="submit">Verify</button>
            </form>
            """
        return page(
            status: status, title: "Two-step verification", main: main, config: config, extraHeaders: extraHeaders)
    }
}
