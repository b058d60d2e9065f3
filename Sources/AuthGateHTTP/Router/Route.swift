/// One row of the route table, with what the transport needs to know of
/// it: its lane, and the body it takes. The transport asks the route; it
/// never names one.
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

    public var method: String
    public var path: String
    public var handler: Handler
    public var lane: Lane = .worker
    public var body: Body = .json

    public init(method: String, path: String, handler: @escaping Handler, lane: Lane = .worker, body: Body = .json) {
        self.method = method
        self.path = path
        self.handler = handler
        self.lane = lane
        self.body = body
    }
}
