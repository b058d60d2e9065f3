import AuthGateCore

/// The request headers AuthGate reads beyond the two every request needs
/// (Authorization, Content-Type), chosen once from the configuration: with
/// every opt-in feature off, nothing more is looked up per request. (What
/// one route alone reads, it declares: `Route.parameters`.)
public struct HeaderSelection: Sendable {
    /// (FastCGI parameter, `Request.headers` key).
    public let headers: [(param: String, key: String)]

    public static let none = HeaderSelection(headers: [])

    public init(headers: [(param: String, key: String)]) {
        self.headers = headers
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
        self.init(headers: headers)
    }
}
