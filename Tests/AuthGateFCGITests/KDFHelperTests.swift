import Logging
import Testing
import AuthGateCore
@testable import AuthGateFCGI

/// The KDF helper's two sides without the `authgate` binary: what the
/// helper answers, and a KDF thread whose helper cannot run.
@Suite struct KDFHelperTests {
    static let method = HashMethod.pbkdf2(.sha256, iterations: 1000)
    static let password = Array("123456".utf8)
    static let salt = Array("abcdefghijklmnop".utf8)
    /// Werkzeug's `pbkdf2:sha256:1000$abcdefghijklmnop$…` for "123456".
    static let werkzeugKey = "41a8b2113c0ad72acb9d9dc01a443bdfb839da768ea279055d10ef6bd93eb6e6"

    @Test func theHelperDerivesWhatWerkzeugDoes() throws {
        let request = try #require(
            KDFHelperMessage.encode(.init(method: Self.method, password: Self.password, salt: Self.salt)))
        guard case .derived(let key, _) = KDFHelperMain.answer(request[...]) else {
            Issue.record("no key")
            return
        }
        #expect(Hex.encode(key) == Self.werkzeugKey)
    }

    @Test func theHelperRefusesAMalformedRequest() {
        guard case .failed = KDFHelperMain.answer([0, 1, 2][...]) else {
            Issue.record("a malformed request was derived")
            return
        }
    }

    @Test(arguments: ["/nonexistent/authgate", "/bin/true"])
    func withoutAWorkingHelperTheThreadDerives(executable: String) throws {
        let helper = KDFHelper(
            executable: executable, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { helper.stop() }
        for _ in 0..<2 {
            let key = try helper.derive(Self.method, password: Self.password, salt: Self.salt)
            #expect(Hex.encode(key) == Self.werkzeugKey)
        }
        #expect(helper.pid == nil)  // the one that exited was reaped, none restarted within the delay
        #expect(helper.cpuSeconds == 0)
    }

    @Test func theHelperGetsOnlyOpenSSLsVariables() {
        let environment = ["OPENSSL_MODULES": "/opt/ossl-modules", "FLASK_JWT_SECRET_KEY": "s3cret", "PATH": "/bin"]
        #expect(KDFHelper.passedEnvironment(lookup: { environment[$0] }) == ["OPENSSL_MODULES=/opt/ossl-modules"])
    }
}
