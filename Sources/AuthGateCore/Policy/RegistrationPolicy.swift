/// Who may register (`AUTHGATE_REGISTRATION`,
/// `AUTHGATE_REGISTRATION_EMAIL_DOMAINS`). Open to every address by default.
public struct RegistrationPolicy: Sendable, Equatable {
    /// False: every registration is refused.
    public var isOpen: Bool
    /// Domains allowed after the e-mail's last `@`, ASCII-lower-cased;
    /// empty allows any.
    public var emailDomains: [String]

    public static let open = RegistrationPolicy(isOpen: true, emailDomains: [])

    public init(isOpen: Bool, emailDomains: [String]) {
        self.isOpen = isOpen
        self.emailDomains = emailDomains.map(RegistrationPolicy.asciiLowercased)
    }

    /// Throws the 403 that refuses `email`'s registration, if any. The
    /// domain is what follows the last `@`, compared ignoring ASCII case
    /// only, exactly (a subdomain is another domain).
    public func admit(email: String) throws(APIError) {
        guard isOpen else { throw .registrationClosed }
        guard !emailDomains.isEmpty else { return }
        let domain = email.lastIndex(of: "@").map { String(email[email.index(after: $0)...]) } ?? ""
        let folded = RegistrationPolicy.asciiLowercased(domain)
        guard emailDomains.contains(where: { $0.utf8.elementsEqual(folded.utf8) }) else {
            throw .emailDomainNotAllowed
        }
    }

    /// `A`–`Z` to `a`–`z`, every other byte as it is (as both databases' `lower()`).
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
