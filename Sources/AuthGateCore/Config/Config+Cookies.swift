/// Parsing of Flask-JWT-Extended's cookie settings as Flask's
/// `from_prefixed_env` hands them over: a value that parses as JSON is that
/// JSON (`["headers", "cookies"]`, `true`, `"Lax"`, `null`), anything else
/// the plain text; a list may also be written as a plain comma list.
extension Config {
    mutating func loadCookieSettings(_ value: (String) -> String?) throws(ConfigError) {
        var c = JWTCookieSettings()
        if let raw = value("FLASK_JWT_TOKEN_LOCATION") {
            let name = "FLASK_JWT_TOKEN_LOCATION"
            let locations = try Self.flaskList(raw, name)
            let supported = locations.filter { ["headers", "cookies"].contains($0) }
            guard !supported.isEmpty,
                locations.allSatisfy({ ["headers", "cookies", "query_string", "json"].contains($0) })
            else {
                throw ConfigError(
                    variable: name, message: "expected headers, cookies or both, e.g. [\"headers\", \"cookies\"]")
            }
            // Flask-JWT-Extended's other two locations: AuthGate reads
            // neither; said, not fatal, so a shared Flask setting still starts.
            for other in locations where !supported.contains(other) {
                warnings.append("FLASK_JWT_TOKEN_LOCATION: \(other) is not read by AuthGate (headers and cookies are)")
            }
            c.headers = supported.contains("headers")
            c.enabled = supported.contains("cookies")
        }
        func text(_ key: String, _ fallback: String, cookieName: Bool = false) throws(ConfigError) -> String {
            let name = "FLASK_" + key
            guard let raw = value(name) else { return fallback }
            guard case .text(let s) = Self.flaskValue(raw), !s.isEmpty, s.utf8.count <= 256,
                !cookieName || s.utf8.allSatisfy(Self.isTokenByte)
            else {
                throw ConfigError(
                    variable: name,
                    message: cookieName
                        ? "expected a cookie name (letters, digits and !#$%&'*+-.^_`|~)"
                        : "expected a non-empty string")
            }
            return s
        }
        func path(_ key: String) throws(ConfigError) -> String {
            let p = try text(key, "/")
            // A cookie attribute value: no ';', no controls; a path starts with '/'.
            guard p.hasPrefix("/"), p.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) else {
                throw ConfigError(variable: "FLASK_" + key, message: "expected a path such as /")
            }
            return p
        }
        // JSON true or false only: Flask keeps any other text as a string,
        // which Python takes for true ("False" included), so such a value
        // would mean one thing to Flask and another here.
        func flag(_ key: String, _ fallback: Bool) throws(ConfigError) -> Bool {
            let name = "FLASK_" + key
            guard let raw = value(name) else { return fallback }
            if case .flag(let b) = Self.flaskValue(raw) { return b }
            throw ConfigError(
                variable: name,
                message:
                    "expected true or false (JSON, lower case: Flask reads any other text as a string, which is true)")
        }
        c.accessName = try text("JWT_ACCESS_COOKIE_NAME", c.accessName, cookieName: true)
        c.refreshName = try text("JWT_REFRESH_COOKIE_NAME", c.refreshName, cookieName: true)
        c.accessPath = try path("JWT_ACCESS_COOKIE_PATH")
        c.refreshPath = try path("JWT_REFRESH_COOKIE_PATH")
        c.accessCSRFName = try text("JWT_ACCESS_CSRF_COOKIE_NAME", c.accessCSRFName, cookieName: true)
        c.refreshCSRFName = try text("JWT_REFRESH_CSRF_COOKIE_NAME", c.refreshCSRFName, cookieName: true)
        c.accessCSRFPath = try path("JWT_ACCESS_CSRF_COOKIE_PATH")
        c.refreshCSRFPath = try path("JWT_REFRESH_CSRF_COOKIE_PATH")
        c.accessCSRFHeader = try text("JWT_ACCESS_CSRF_HEADER_NAME", c.accessCSRFHeader, cookieName: true)
        c.refreshCSRFHeader = try text("JWT_REFRESH_CSRF_HEADER_NAME", c.refreshCSRFHeader, cookieName: true)
        c.accessCSRFField = try text("JWT_ACCESS_CSRF_FIELD_NAME", c.accessCSRFField)
        c.refreshCSRFField = try text("JWT_REFRESH_CSRF_FIELD_NAME", c.refreshCSRFField)
        c.secure = try flag("JWT_COOKIE_SECURE", c.secure)
        c.sessionCookie = try flag("JWT_SESSION_COOKIE", c.sessionCookie)
        c.csrfProtect = try flag("JWT_COOKIE_CSRF_PROTECT", c.csrfProtect)
        c.csrfInCookies = try flag("JWT_CSRF_IN_COOKIES", c.csrfInCookies)
        c.csrfCheckForm = try flag("JWT_CSRF_CHECK_FORM", c.csrfCheckForm)
        if let raw = value("FLASK_JWT_COOKIE_DOMAIN") {
            switch Self.flaskValue(raw) {
            case .null: c.domain = nil
            case .text(let d)
            where !d.isEmpty && d.utf8.allSatisfy({ Self.isTokenByte($0) && $0 != UInt8(ascii: "%") }):
                c.domain = d
            default:
                throw ConfigError(variable: "FLASK_JWT_COOKIE_DOMAIN", message: "expected a domain such as example.com")
            }
        }
        if let raw = value("FLASK_JWT_COOKIE_SAMESITE") {
            switch Self.flaskValue(raw) {
            case .null: c.sameSite = nil
            case .text(let s):
                // Werkzeug's dump_cookie: `samesite.title()`, one of the three.
                guard let known = ["Strict", "Lax", "None"].first(where: { $0.lowercased() == s.lowercased() }) else {
                    throw ConfigError(variable: "FLASK_JWT_COOKIE_SAMESITE", message: "expected Strict, Lax or None")
                }
                c.sameSite = known
            default:
                throw ConfigError(variable: "FLASK_JWT_COOKIE_SAMESITE", message: "expected Strict, Lax or None")
            }
        }
        if let raw = value("FLASK_JWT_CSRF_METHODS") {
            let methods = try Self.flaskList(raw, "FLASK_JWT_CSRF_METHODS").map { $0.uppercased() }
            guard methods.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(Self.isTokenByte) }) else {
                throw ConfigError(
                    variable: "FLASK_JWT_CSRF_METHODS", message: "expected HTTP methods, e.g. [\"POST\", \"PUT\"]")
            }
            c.csrfMethods = methods
        }
        if c.sameSite == "None" && !c.secure && c.enabled {
            warnings.append(
                "FLASK_JWT_COOKIE_SAMESITE=None without FLASK_JWT_COOKIE_SECURE=true: browsers drop such cookies, and signing in loops back to the sign-in page"
            )
        }
        cookies = c
    }

    /// A setting's value as `from_prefixed_env` reads it.
    enum FlaskValue: Equatable {
        case null, flag(Bool), text(String), list([String]), other
    }

    static func flaskValue(_ raw: String) -> FlaskValue {
        guard let json = try? JSONParser.parse(Array(raw.utf8)) else { return .text(raw) }
        switch json {
        case .null: return .null
        case .bool(let b): return .flag(b)
        case .string(let s): return .text(s)
        case .array(let items):
            var strings: [String] = []
            for item in items {
                guard let s = item.stringValue else { return .other }
                strings.append(s)
            }
            return .list(strings)
        default: return .other
        }
    }

    /// A JSON list of strings, one JSON string, or a plain comma list.
    static func flaskList(_ raw: String, _ name: String) throws(ConfigError) -> [String] {
        switch flaskValue(raw) {
        case .list(let items): return items.map { String($0.trimmingASCIIWhitespace()) }
        case .text(let s):
            return s.split(separator: ",").map { String($0.trimmingASCIIWhitespace()) }.filter { !$0.isEmpty }
        default: throw ConfigError(variable: name, message: "expected a list such as [\"headers\", \"cookies\"]")
        }
    }
}
