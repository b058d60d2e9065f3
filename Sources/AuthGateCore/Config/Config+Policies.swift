/// Parsing of the login and registration controls (all opt-in: with none
/// of these variables set, AuthGate behaves as the Flask service).
extension Config {
    /// Reads `AUTHGATE_LOGIN_THROTTLE*`, `AUTHGATE_REHASH_ON_LOGIN` and
    /// `AUTHGATE_REGISTRATION*` through `value`; a bad value throws naming
    /// its variable, even for a feature left off.
    mutating func loadLoginAndRegistrationPolicies(_ value: (String) -> String?) throws(ConfigError) {
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
            try SettingParser.integer(value(name), name, default: fallback, range: range)
        }
        func bool(_ name: String) throws(ConfigError) -> Bool { try SettingParser.bool(value(name), name) }
        let maxFailures = try integer(
            "AUTHGATE_LOGIN_THROTTLE_MAX_FAILURES",
            default: LoginThrottleSettings.defaultMaxFailures, range: 1...1000)
        let window = try integer(
            "AUTHGATE_LOGIN_THROTTLE_WINDOW_SECONDS",
            default: LoginThrottleSettings.defaultWindowSeconds, range: 1...604_800)
        if try bool("AUTHGATE_LOGIN_THROTTLE") {
            loginThrottle = LoginThrottleSettings(maxFailures: maxFailures, windowSeconds: window)
        }
        rehashOnLogin = try bool("AUTHGATE_REHASH_ON_LOGIN")

        let isOpen: Bool
        switch (value("AUTHGATE_REGISTRATION") ?? "open").trimmingASCIIWhitespace().lowercased() {
        case "open", "": isOpen = true
        case "closed": isOpen = false
        default: throw ConfigError(variable: "AUTHGATE_REGISTRATION", message: "expected open or closed")
        }
        let domains = try Self.emailDomains(value("AUTHGATE_REGISTRATION_EMAIL_DOMAINS") ?? "")
        registration = RegistrationPolicy(isOpen: isOpen, emailDomains: domains)
    }

    /// `example.com,example.org`: comma-separated, blanks around entries
    /// ignored, empty means any. An entry is a bare domain: no `@`, no
    /// whitespace or control characters.
    static func emailDomains(_ raw: String) throws(ConfigError) -> [String] {
        var domains: [String] = []
        for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
            let domain = String(part.trimmingASCIIWhitespace())
            if domain.isEmpty { continue }
            guard
                !domain.unicodeScalars.contains(where: {
                    $0 == "@" || $0.properties.isWhitespace || $0.properties.generalCategory == .control
                })
            else {
                throw ConfigError(
                    variable: "AUTHGATE_REGISTRATION_EMAIL_DOMAINS",
                    message: "expected domains separated by commas, such as example.com,example.org")
            }
            domains.append(domain)
        }
        return domains
    }
}
