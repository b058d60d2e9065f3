import AuthGateCore

/// The request headers and FastCGI parameters AuthGate reads beyond the
/// two every request needs (Authorization, Content-Type), chosen once from
/// the configuration: with every opt-in feature off, nothing more is
/// looked up per request.
public struct HeaderSelection: Sendable {
    /// (FastCGI parameter, `Request.headers` key).
    public let headers: [(param: String, key: String)]
    /// The forward-auth recipe's parameters (`AUTHGATE_ORIGINAL_METHOD`,
    /// `AUTHGATE_ORIGINAL_URI`): only where cookies may carry tokens.
    public let readsOriginal: Bool

    public static let none = HeaderSelection(headers: [], readsOriginal: false)
    /// The FastCGI parameter the forward-auth recipe sets to the method of
    /// the request `/auth/verify` authorizes. Not an `HTTP_*` parameter: no
    /// client header becomes it.
    public static let originalMethodParameter = "AUTHGATE_ORIGINAL_METHOD"
    /// The recipe's `$request_uri` of that request.
    public static let originalURIParameter = "AUTHGATE_ORIGINAL_URI"

    public init(headers: [(param: String, key: String)], readsOriginal: Bool) {
        self.headers = headers
        self.readsOriginal = readsOriginal
    }

    public init(_ config: Config) {
        var headers: [(param: String, key: String)] = []
        func add(_ name: String) {
            let key = name.lowercased()
            guard !headers.contains(where: { $0.key == key }) else { return }
            // nginx's `HTTP_` parameter for a header: upper case, `-` as `_`.
            let param =
                "HTTP_"
                + String(
                    decoding: name.utf8.map { b -> UInt8 in
                        let upper = (0x61...0x7A).contains(b) ? b - 0x20 : b
                        return upper == UInt8(ascii: "-") ? UInt8(ascii: "_") : upper
                    }, as: UTF8.self)
            headers.append((param, key))
        }
        if config.verifyCookie != nil || config.cookies.enabled { add("Cookie") }
        if config.cookies.enabled {
            add(config.cookies.accessCSRFHeader)
            add(config.cookies.refreshCSRFHeader)
            // The sign-in pages: browser navigations, and cross-site posts.
            add("Accept")
            add("Sec-Fetch-Site")
            add("Host")
            // The scheme nginx served the request on (`$scheme`), for the
            // Secure-cookie check; a parameter, not a client header.
            headers.append(("REQUEST_SCHEME", "x-authgate-scheme"))
        }
        self.init(headers: headers, readsOriginal: config.verifyCookie != nil || config.cookies.enabled)
    }
}
