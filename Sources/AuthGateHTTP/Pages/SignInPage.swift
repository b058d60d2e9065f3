import AuthGateCore
/// The sign-in page: one small server-rendered form that works without
/// JavaScript, labelled for screen readers, with no external asset. Its
/// only style sheet is inline and allowed by its hash, so the
/// Content-Security-Policy allows nothing else: no script (but the
/// passkey step's one, by its hash, on that page only), no frame
/// (`frame-ancestors 'none'`), forms only to this site and the allowed
/// return hosts.
enum SignInPage {
    /// What the page shows above the form.
    enum Notice {
        case none
        /// A refused attempt: one message whatever was wrong (no enumeration).
        case error(String)
        /// Neutral information (signed out).
        case info(String)
    }

    static let style = """
        body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2125}\
        main{max-width:22rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;\
        box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.5rem;margin:0 0 1rem}\
        label{display:block;margin:1rem 0 .25rem;font-weight:600}\
        input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #6b7280;border-radius:4px}\
        input:focus,button:focus{outline:3px solid #2563eb;outline-offset:2px}\
        button{margin-top:1.5rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;\
        background:#1d4ed8;border:0;border-radius:4px;cursor:pointer}\
        .error{color:#991b1b;background:#fef2f2;border:1px solid #fca5a5;padding:.5rem;border-radius:4px}\
        .info{color:#1e3a8a;background:#eff6ff;border:1px solid #93c5fd;padding:.5rem;border-radius:4px}
        """

    /// `'sha256-…'` of `style`, the only style the policy lets run.
    static let styleSource = hashSource(style)
    /// The passkey buttons' script's source, hashed once, not per page.
    static let passkeyScriptSource = hashSource(passkeyScript)

    /// A CSP source allowing exactly this inline text.
    static func hashSource(_ text: String) -> String {
        let digest = (try? Crypto.sha256(Array(text.utf8))) ?? []
        return "'sha256-" + Base64URL.standard(digest) + "'"
    }

    /// The policy: nothing but the inline style; forms post to this site
    /// and, after a redirect, to the allowed return hosts.
    static func contentSecurityPolicy(_ hosts: RedirectHosts, passkeyScript: Bool = false) -> String {
        var formTargets = ["'self'"]
        // `:*`: any port, as SafeRedirect allows (a source without one means the scheme's default).
        for host in hosts.exact { formTargets += ["http://\(host):*", "https://\(host):*"] }
        for suffix in hosts.suffixes { formTargets += ["http://*\(suffix):*", "https://*\(suffix):*"] }
        let scripts = passkeyScript ? "script-src \(passkeyScriptSource); " : ""
        return
            "default-src 'none'; style-src \(styleSource); \(scripts)form-action \(formTargets.joined(separator: " ")); "
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    /// Headers every page answer carries: never cached, never framed.
    static func headers(_ config: Config, passkeyScript: Bool = false) -> [(name: String, value: String)] {
        [
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", contentSecurityPolicy(config.redirectHosts, passkeyScript: passkeyScript)),
            ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin")
        ]
    }

    /// The form, posting to `action`, carrying `rd` and the form token.
    /// `passkey`: options and state of a sign-in by passkey alone, offered
    /// below the form (posting to `action`/passkey) when passkeys are on.
    static func render(
        status: Int, action: String, rd: String, formToken: String, username: String = "",
        notice: Notice = .none, config: Config,
        extraHeaders: [(name: String, value: String)] = [], passkey: (options: JSONValue, state: String)? = nil
    ) -> Response {
        var main = "<h1>Sign in</h1>\n"
        var describedBy = ""
        switch notice {
        case .none: break
        case .error(let text):
            main += "<p class=\"error\" id=\"notice\" role=\"alert\">\(escape(text))</p>\n"
            describedBy = " aria-describedby=\"notice\""
        case .info(let text):
            main += "<p class=\"info\" id=\"notice\" role=\"status\">\(escape(text))</p>\n"
        }
        main += """
            <form method="post" action="\(escape(action))"\(describedBy)>
            <input type="hidden" name="rd" value="\(escape(rd))">
            <input type="hidden" name="\(SignInFormToken.field)" value="\(escape(formToken))">
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="\(escape(username))">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            """
        guard let passkey else {
            return page(status: status, title: "Sign in", main: main, config: config, extraHeaders: extraHeaders)
        }
        main +=
            "\n"
            + passkeyForm(
                action: action + "/passkey",
                hidden: """
                    <input type="hidden" name="rd" value="\(escape(rd))">
                    <input type="hidden" name="\(SignInFormToken.field)" value="\(escape(formToken))">
                    <input type="hidden" name="state" value="\(escape(passkey.state))">
                    """, options: passkey.options, label: "Sign in with a passkey")
        return page(
            status: status, title: "Sign in", main: main, config: config, extraHeaders: extraHeaders,
            passkeyScript: true)
    }

    /// A page that explains a problem instead of the form (a cookie
    /// setting that would make signing in loop).
    static func problem(status: Int, title: String, text: String, config: Config) -> Response {
        page(
            status: status, title: title,
            main: "<h1>\(escape(title))</h1>\n<p class=\"error\" role=\"alert\">\(escape(text))</p>", config: config)
    }

    /// A whole document around `main` (HTML already escaped), as an answer
    /// with the page headers.
    static func page(
        status: Int, title: String, main: String, config: Config,
        extraHeaders: [(name: String, value: String)] = [], passkeyScript: Bool = false
    ) -> Response {
        let html = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title><style>\(style)</style></head>
            <body><main>
            \(main)
            </main></body>
            </html>

            """
        var response = Response(
            status: status, headers: headers(config, passkeyScript: passkeyScript) + extraHeaders,
            body: Array(html.utf8))
        response.contentType = "text/html; charset=utf-8"
        return response
    }

    /// HTML text and attribute escaping: `& < > " '`.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
