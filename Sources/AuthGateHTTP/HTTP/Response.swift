import AuthGateCore
/// A response as the worker writes it back through FastCGI.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A HEAD answer: the head (Content-Length included) describes `body`,
    /// which is not sent (RFC 9110 §9.3.2; Werkzeug does the same).
    public var omitsBody = false
    /// Every answer is JSON but the metrics exposition (Prometheus text).
    public var contentType = "application/json"

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response with keys in the order given.
    public static func json(
        _ status: Int, _ members: [(String, JSONValue)],
        headers: [(name: String, value: String)] = []
    ) -> Response {
        Response(status: status, headers: headers, body: JSONWriter.object(members))
    }

    /// This response as an answer to `method`: to HEAD, the same head with no body.
    public func answering(_ method: String) -> Response {
        guard method == "HEAD" else { return self }
        var head = self
        head.omitsBody = true
        return head
    }

    /// The CGI response head (`Status:` line and headers) followed by the
    /// body. Every response says `nosniff`: a JSON body must never be
    /// sniffed into HTML by a browser.
    public func serialized() -> [UInt8] {
        var out = head(reserving: omitsBody ? 0 : body.count)
        if !omitsBody { out.append(contentsOf: body) }
        return out
    }

    /// The bytes the transport writes: the head, then the body unless
    /// omitted. Two pieces, so the body is not copied behind the head.
    public var wireParts: (head: [UInt8], body: [UInt8]) {
        (head(reserving: 0), omitsBody ? [] : body)
    }

    /// The `Status:` line and headers, the blank line included, with room
    /// for `extra` more bytes. Appended piece by piece: no interpolated
    /// `String` per line.
    private func head(reserving extra: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(extra + 160)
        out.append(contentsOf: "Status: ".utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: Response.reason(status).utf8)
        out.append(contentsOf: "\r\nContent-Type: ".utf8)
        out.append(contentsOf: contentType.utf8)
        out.append(contentsOf: "\r\nContent-Length: ".utf8)
        out.append(contentsOf: String(body.count).utf8)
        out.append(contentsOf: "\r\nX-Content-Type-Options: nosniff\r\n".utf8)
        for (name, value) in headers {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
