import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Flask-JWT-Extended's cookie settings under the `FLASK_` prefix, read as
/// Flask's `from_prefixed_env` reads them (JSON, else the plain text).
@Suite struct CookieSettingsTests {
    func load(_ env: [String: String]) throws -> Config {
        try Config.load(
            environment: ["FLASK_SECRET_KEY": "k"].merging(env) { $1 }, dotEnv: [:],
            workingDirectory: "/nonexistent")
    }

    @Test func defaultsAreFlaskJWTExtendedsAndCookieModeIsOff() throws {
        let c = try load([:]).cookies
        #expect(!c.enabled && c.headers && !c.tokensCarryCSRF)
        #expect(c.accessName == "access_token_cookie" && c.refreshName == "refresh_token_cookie")
        #expect(c.accessCSRFName == "csrf_access_token" && c.refreshCSRFName == "csrf_refresh_token")
        #expect(c.accessCSRFHeader == "X-CSRF-TOKEN" && c.accessPath == "/" && c.refreshPath == "/")
        #expect(!c.secure && c.sessionCookie && c.maxAge == nil && c.csrfProtect && c.csrfInCookies)
        #expect(c.domain == nil && c.sameSite == nil && c.csrfMethods == ["POST", "PUT", "PATCH", "DELETE"])
    }

    @Test(arguments: [#"["headers", "cookies"]"#, "headers,cookies", " headers , cookies ", #"["cookies","headers"]"#])
    func bothLocations(raw: String) throws {
        let c = try load(["FLASK_JWT_TOKEN_LOCATION": raw]).cookies
        #expect(c.enabled && c.headers && c.tokensCarryCSRF)
    }

    @Test(arguments: ["cookies", #""cookies""#, #"["cookies"]"#])
    func cookiesOnly(raw: String) throws {
        let c = try load(["FLASK_JWT_TOKEN_LOCATION": raw]).cookies
        #expect(c.enabled && !c.headers)
    }

    @Test func valuesAreJSONOrPlainText() throws {
        let c = try load([
            "FLASK_JWT_TOKEN_LOCATION": "cookies", "FLASK_JWT_COOKIE_SECURE": "true",
            "FLASK_JWT_SESSION_COOKIE": "false",
            "FLASK_JWT_COOKIE_SAMESITE": "lax", "FLASK_JWT_COOKIE_DOMAIN": #""example.com""#,
            "FLASK_JWT_ACCESS_COOKIE_NAME": "__Host-a", "FLASK_JWT_ACCESS_COOKIE_PATH": "/api/",
            "FLASK_JWT_CSRF_METHODS": #"["post", "DELETE"]"#, "FLASK_JWT_COOKIE_CSRF_PROTECT": "false"
        ]).cookies
        #expect(c.secure && !c.sessionCookie && c.maxAge == 31_540_000 && c.sameSite == "Lax")
        #expect(c.domain == "example.com" && c.accessName == "__Host-a" && c.accessPath == "/api/")
        #expect(c.csrfMethods == ["POST", "DELETE"] && !c.csrfProtect && !c.tokensCarryCSRF)
        #expect(try load(["FLASK_JWT_COOKIE_DOMAIN": "null"]).cookies.domain == nil)
    }

    @Test(arguments: [
        ("FLASK_JWT_TOKEN_LOCATION", "query_string"), ("FLASK_JWT_TOKEN_LOCATION", "[]"),
        ("FLASK_JWT_TOKEN_LOCATION", "[1]"), ("FLASK_JWT_COOKIE_SAMESITE", "Sometimes"),
        ("FLASK_JWT_COOKIE_SECURE", "maybe"), ("FLASK_JWT_COOKIE_SECURE", "False"),
        ("FLASK_JWT_COOKIE_CSRF_PROTECT", "no"), ("FLASK_JWT_ACCESS_COOKIE_NAME", "a b"),
        ("FLASK_JWT_ACCESS_COOKIE_PATH", "/a;b"), ("FLASK_JWT_ACCESS_COOKIE_PATH", "api"),
        ("FLASK_JWT_COOKIE_DOMAIN", "a;b"), ("FLASK_JWT_CSRF_METHODS", #"["PO ST"]"#)
    ])
    func badValuesStopStartUpNamingTheVariable(name: String, value: String) {
        do {
            _ = try load([name: value])
            Issue.record("\(name)=\(value) was accepted")
        } catch let error as ConfigError {
            #expect(error.variable == name)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func locationsAuthGateDoesNotReadAreAWarningNotAFailure() throws {
        let config = try load(["FLASK_JWT_TOKEN_LOCATION": #"["headers", "query_string", "cookies", "json"]"#])
        #expect(config.cookies.enabled && config.cookies.headers)
        #expect(config.warnings.filter { $0.contains("is not read by AuthGate") }.count == 2)
        #expect(throws: ConfigError.self) { try load(["FLASK_JWT_TOKEN_LOCATION": "query_string"]) }
    }

    @Test func sameSiteNoneWithoutSecureIsAWarning() throws {
        let config = try load(["FLASK_JWT_TOKEN_LOCATION": "cookies", "FLASK_JWT_COOKIE_SAMESITE": "None"])
        #expect(config.warnings.contains { $0.contains("FLASK_JWT_COOKIE_SAMESITE=None") })
    }
}
