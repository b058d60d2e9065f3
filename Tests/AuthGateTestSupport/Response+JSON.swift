import AuthGateCore
import AuthGateHTTP

/// Reading a response body back as JSON, so tests compare values and keys
/// rather than the writer's key order.
extension Response {
    package var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; nil when it is not one.
    package var object: [String: JSONValue]? {
        guard case .object(let members)? = try? JSONParser.parse(body) else { return nil }
        return members
    }
}

/// Builds an expected JSON object from string members.
package func strings(_ members: KeyValuePairs<String, String>) -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    for (key, value) in members { out[key] = .string(value) }
    return out
}
