@testable import AuthGateCore
@testable import AuthGateHTTP

/// Reading a response body back as JSON, so tests compare values and keys
/// rather than the writer's key order.
extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; nil when it is not one.
    var object: [String: JSONValue]? {
        guard case .object(let members)? = try? JSONParser.parse(body) else { return nil }
        return members
    }
}

/// Builds an expected JSON object from string members.
func strings(_ members: KeyValuePairs<String, String>) -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    for (key, value) in members { out[key] = .string(value) }
    return out
}
