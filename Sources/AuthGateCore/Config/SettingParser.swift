/// How a setting's text becomes a flag or a number, for every part of
/// `Config.load`: one spelling of true/false, one range check, and an
/// error that names the variable, never its value.
enum SettingParser {
    /// Unset or empty: false.
    static func bool(_ raw: String?, _ name: String) throws(ConfigError) -> Bool {
        switch (raw ?? "").trimmingASCIIWhitespace().lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw ConfigError(variable: name, message: "expected true or false")
        }
    }

    /// Unset: `fallback`. `unit` words the message ("seconds").
    static func integer<T: FixedWidthInteger>(
        _ raw: String?, _ name: String, default fallback: T,
        range: ClosedRange<T>, unit: String? = nil
    ) throws(ConfigError) -> T {
        guard let raw else { return fallback }
        guard let n = T(raw.trimmingASCIIWhitespace()), range.contains(n) else {
            let what = unit.map { "a whole number of \($0)" } ?? "a whole number"
            throw ConfigError(variable: name, message: "expected \(what) in \(range)")
        }
        return n
    }

    /// One of an enum's raw values, ignoring ASCII case and surrounding
    /// blanks; unset or empty: `fallback`.
    static func choice<T: RawRepresentable & CaseIterable>(
        _ raw: String?, _ name: String,
        default fallback: T
    ) throws(ConfigError) -> T
    where T.RawValue == String {
        let text = (raw ?? "").trimmingASCIIWhitespace().lowercased()
        if text.isEmpty { return fallback }
        guard let value = T(rawValue: text) else {
            throw ConfigError(
                variable: name,
                message: "expected " + T.allCases.map(\.rawValue).joined(separator: " or "))
        }
        return value
    }
}
