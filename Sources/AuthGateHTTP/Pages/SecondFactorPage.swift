import AuthGateCore
import AuthGateStore

/// The sign-in page's second step (docs/mfa.md): a field for a code from
/// the authenticator app or a recovery code (plain HTML, no script
/// needed), and, for a user with a passkey, a button whose one inline
/// script (allowed by its hash) runs `navigator.credentials.get` with the
/// options written into the page and posts the answer in the same way.
/// Both post the challenge of the password step to `action`.
extension SignInPage {
    static func renderSecondStep(
        status: Int, action: String, rd: String, formToken: String, mfaToken: String, methods: [String],
        passkeyOptions: JSONValue?, notice: Notice = .none, config: Config,
        extraHeaders: [(name: String, value: String)] = []
    ) -> Response {
        var main = "<h1>Two-step verification</h1>\n"
        var describedBy = ""
        if case .error(let text) = notice {
            main += "<p class=\"error\" id=\"notice\" role=\"alert\">\(escape(text))</p>\n"
            describedBy = " aria-describedby=\"notice\""
        }
        let hidden = """
            <input type="hidden" name="rd" value="\(escape(rd))">
            <input type="hidden" name="\(SignInFormToken.field)" value="\(escape(formToken))">
            <input type="hidden" name="mfa_token" value="\(escape(mfaToken))">
            """
        if methods.contains("totp") {
            main += """
                <form method="post" action="\(escape(action))"\(describedBy)>
                \(hidden)
                <p id="hint">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
                <label for="code">Code</label>
                <input id="code" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus aria-describedby="hint">
                <button type="submit">Verify</button>
                </form>

                """
        }
        if let passkeyOptions {
            main += passkeyForm(action: action, hidden: hidden, options: passkeyOptions, label: "Use a passkey")
        }
        return page(
            status: status, title: "Two-step verification", main: main, config: config,
            extraHeaders: extraHeaders, passkeyScript: passkeyOptions != nil)
    }

    /// A form whose button runs `passkeyScript` with `options` (written
    /// into the page as data) and posts the answer, with `hidden`, to
    /// `action`. The page must allow the script (`page(passkeyScript: true)`).
    static func passkeyForm(action: String, hidden: String, options: JSONValue, label: String) -> String {
        // Data, never run: `<` written as \u003c so no text can close the element.
        var bytes: [UInt8] = []
        JSONWriter.write(options, into: &bytes)
        let json = String(decoding: bytes, as: UTF8.self).replacingLessThan()
        return """
            <form method="post" action="\(escape(action))" id="passkey-form">
            \(hidden)
            <input type="hidden" name="webauthn" id="webauthn">
            <button type="button" id="passkey-button">\(escape(label))</button>
            <p id="passkey-status" role="status"></p>
            </form>
            <script type="application/json" id="passkey-options">\(json)</script>
            <script>\(passkeyScript)</script>
            """
    }

    /// Reads the options, asks the browser's authenticator, and posts the
    /// answer (binary values base64url, as `/auth/login/mfa` takes them).
    static let passkeyScript = """
        (function(){var d=document,b=function(s){s=s.replace(/-/g,'+').replace(/_/g,'/');\
        return Uint8Array.from(atob(s),function(c){return c.charCodeAt(0)})},\
        t=function(v){var s='';new Uint8Array(v).forEach(function(x){s+=String.fromCharCode(x)});\
        return btoa(s).replace(/\\+/g,'-').replace(/\\//g,'_').replace(/=+$/,'')};\
        d.getElementById('passkey-button').addEventListener('click',function(){\
        var o=JSON.parse(d.getElementById('passkey-options').textContent).publicKey;\
        o.challenge=b(o.challenge);o.allowCredentials=(o.allowCredentials||[]).map(function(c){\
        return{type:c.type,id:b(c.id)}});navigator.credentials.get({publicKey:o}).then(function(c){\
        d.getElementById('webauthn').value=JSON.stringify({id:c.id,type:c.type,response:{\
        clientDataJSON:t(c.response.clientDataJSON),authenticatorData:t(c.response.authenticatorData),\
        signature:t(c.response.signature)}});d.getElementById('passkey-form').submit()},function(){\
        d.getElementById('passkey-status').textContent='The passkey did not answer. Try again, or use a code.'})})})();
        """
}

extension String {
    /// JSON text with every `<` escaped, for a `<script>` data block.
    fileprivate func replacingLessThan() -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in unicodeScalars { if ch == "<" { out += "\\u003c" } else { out.unicodeScalars.append(ch) } }
        return out
    }
}
