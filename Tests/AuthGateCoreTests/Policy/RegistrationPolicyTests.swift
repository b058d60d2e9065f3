import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// Closed registration, and the e-mail domain list: exact domain after the
/// last `@`, ASCII case ignored, nothing else folded.
@Suite struct RegistrationPolicyTests {
    func answer(_ policy: RegistrationPolicy, _ email: String) -> APIError? {
        do { try policy.admit(email: email); return nil } catch { return error }
    }

    @Test func openAdmitsAnyDomain() {
        #expect(answer(.open, "a@anything.test") == nil)
    }

    @Test func closedRefusesEveryone() {
        let closed = RegistrationPolicy(isOpen: false, emailDomains: ["example.com"])
        #expect(answer(closed, "a@example.com") == .registrationClosed)
        #expect(APIError.registrationClosed.status == 403)
    }

    @Test(arguments: [
        ("a@example.com", true), ("a@EXAMPLE.Com", true), ("a@example.org", true),
        ("a@sub.example.com", false), ("a@example.com.evil.test", false), ("a@example.co", false),
        ("a@xexample.com", false), ("a@example.com.", false),
        ("a@ex\u{C0}mple.com", false)  // À is not folded to a
    ])
    func domainsMatchExactlyIgnoringASCIICase(email: String, admitted: Bool) {
        let policy = RegistrationPolicy(isOpen: true, emailDomains: ["Example.COM", "example.org"])
        #expect(answer(policy, email) == (admitted ? nil : .emailDomainNotAllowed))
    }

    @Test func theDomainIsAfterTheLastAt() {
        let policy = RegistrationPolicy(isOpen: true, emailDomains: ["example.com"])
        #expect(answer(policy, "evil.test@example.com") == nil)
        #expect(answer(policy, "a@example.com@evil.test") == .emailDomainNotAllowed)
        #expect(answer(policy, "no-at-sign") == .emailDomainNotAllowed)
    }
}
