import Logging
/// One HTTP request as nginx hands it over FastCGI, already read whole.
public struct Request: Sendable {
    public var method: String
    /// The normalised, percent-decoded path (`$document_uri` in nginx).
    public var path: String
    /// Query parameters, percent-decoded, in the order sent; repeated keys kept.
    public var query: [(name: String, value: String)]
    /// Header values by lower-cased name (`authorization`, `content-type`).
    public var headers: [String: String]
    public var body: [UInt8]
    /// Short id carried in log lines: nginx's `$request_id`, or the worker's own.
    public var id: String
    /// The client's address as nginx passes it (`REMOTE_ADDR`: its realip
    /// module decides it); empty when unknown.
    public var remoteAddress = ""
    /// The FastCGI parameters its route declares (`Route.parameters`), as
    /// nginx set them; a parameter nginx did not pass is absent.
    public var parameters: [String: String] = [:]
    /// The method of the request nginx asks `/auth/verify` about
    /// (`AUTHGATE_ORIGINAL_METHOD`, set by the forward-auth recipe; an
    /// `auth_request` subrequest is itself always a GET); nil when not passed.
    public var originalMethod: String? {
        get { parameters[Self.originalMethodParameter] }
        set { parameters[Self.originalMethodParameter] = newValue }
    }
    /// The path and query of the request nginx asks `/auth/verify` about
    /// (`AUTHGATE_ORIGINAL_URI`, `$request_uri`), for the sign-in page's
    /// return address; nil when not passed.
    public var originalURI: String? {
        get { parameters[Self.originalURIParameter] }
        set { parameters[Self.originalURIParameter] = newValue }
    }
    /// Not `HTTP_*` parameters: no client header becomes them.
    public static let originalMethodParameter = "AUTHGATE_ORIGINAL_METHOD"
    public static let originalURIParameter = "AUTHGATE_ORIGINAL_URI"
    /// The logger of the thread serving this request, as the transport gave it.
    private let threadLogger: Logger

    /// Everything logged about this request goes through this logger: its
    /// metadata already holds `request.id`. Built when asked for, so a
    /// request that logs nothing costs nothing.
    public var logger: Logger {
        var logger = threadLogger
        logger[metadataKey: "request.id"] = "\(id)"
        return logger
    }

    /// `logger` is the serving thread's; the transport passes its own.
    public init(
        method: String, path: String, queryString: String = "",
        headers: [String: String] = [:], body: [UInt8] = [], id: String = "-",
        logger: Logger = Request.defaultLogger
    ) {
        self.method = method
        self.path = path
        self.query = QueryString.parse(queryString)
        self.headers = headers
        self.body = body
        self.id = id
        self.threadLogger = logger
    }

    /// For requests made outside a transport (tests, tools).
    public static let defaultLogger = Logger(label: "authgate")

    /// The first value of a query parameter, as Werkzeug's `args.get` reads it.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name.utf8.elementsEqual(name.utf8) }?.value
    }

    /// The media type without parameters, lower-cased (`application/json`).
    public var mediaType: String? {
        guard let raw = headers["content-type"] else { return nil }
        let type = raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingASCIIWhitespace().lowercased()
    }
}
