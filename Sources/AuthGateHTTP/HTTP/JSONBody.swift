import AuthGateCore
/// Reading a JSON object body and its string fields, with 400s that name
/// the field.
public struct JSONBody {
    public let members: [String: JSONValue]

    /// The body as a JSON object; anything else is a 400.
    public init(_ request: Request) throws(APIError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(request.body)
        } catch .invalidUTF8 {
            throw .badRequest("Request body is not valid UTF-8")
        } catch .byteOrderMark {
            throw .badRequest("Request body must not start with a byte order mark")
        } catch .tooDeep {
            throw .badRequest("Request body is nested too deeply")
        } catch {
            throw .badRequest("Request body is not valid JSON")
        }
        guard case .object(let members) = value else { throw .badRequest("Request body must be a JSON object") }
        self.members = members
    }

    /// A required string field: missing, null, non-string and invalid
    /// Unicode are each a 400 naming `name`.
    public func string(_ name: String) throws(APIError) -> String {
        switch members[name] {
        case nil, .null?: throw .badRequest("\(name) is required")
        case .string(let s)?: return s
        case .invalidString?: throw .badRequest("\(name) is not valid Unicode")
        default: throw .badRequest("\(name) must be a string")
        }
    }
}
