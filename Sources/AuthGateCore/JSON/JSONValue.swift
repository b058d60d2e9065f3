/// A parsed JSON document. Objects keep the last value of a repeated key,
/// as Python's `json` does, so AuthGate reads a body the way Flask did.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// A string holding an escaped lone surrogate (`"\ud800"`): not valid
    /// Unicode. Kept apart so a handler can name the field it came in.
    case invalidString
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}
