/// One row of the route table, with what the transport needs to know of
/// it: its lane, the body it takes, the FastCGI parameters it reads and
/// the one it exists only with. The transport asks the route; it never
/// names one.
public struct Route: Sendable {
    /// Where the request runs. `keyDerivation`: the handler derives a key
    /// (scrypt, ~90 ms of CPU), so it runs on the KDF pool's bounded queue,
    /// never on a worker thread that serves reads.
    public enum Lane: Sendable { case worker, keyDerivation }
    /// The media type a POST body must have (415 otherwise; an empty body passes).
    public enum Body: Sendable {
        case json
        /// `application/x-www-form-urlencoded`: an HTML form.
        case form

        var mediaType: String {
            switch self {
            case .json: return "application/json"
            case .form: return "application/x-www-form-urlencoded"
            }
        }
    }

    /// A FastCGI parameter (set by nginx's `fastcgi_param`, never by a
    /// client: client headers arrive as `HTTP_*`) without which the path
    /// does not exist: 404 whatever the method.
    public struct Gate: Sendable {
        public let parameter: String
        public let value: String
    }

    public var method: String
    public var path: String
    public var handler: Handler
    public var lane: Lane = .worker
    public var body: Body = .json
    /// FastCGI parameters the handler reads (`Request.parameters`), looked
    /// up only for this route.
    public var parameters: [String] = []
    public var gate: Gate?

    public init(
        method: String, path: String, handler: @escaping Handler, lane: Lane = .worker, body: Body = .json,
        parameters: [String] = [], gate: Gate? = nil
    ) {
        self.method = method
        self.path = path
        self.handler = handler
        self.lane = lane
        self.body = body
        // The gate's parameter is read like any declared one: the request
        // then shows it passed (`RouteLabel`).
        self.parameters = parameters + (gate.map { [$0.parameter] } ?? [])
        self.gate = gate
    }
}
