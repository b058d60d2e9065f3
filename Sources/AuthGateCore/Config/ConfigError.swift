/// A setting that is missing or does not parse; names the variable, never
/// its value (it may be a secret).
public struct ConfigError: Error, CustomStringConvertible {
    public var variable: String
    public var message: String
    public var description: String { "\(variable): \(message)" }
}
