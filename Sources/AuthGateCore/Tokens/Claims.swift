/// The claims of a Flask-JWT-Extended token that AuthGate reads or writes.
public struct Claims: Sendable, Equatable {
    public enum Kind: String, Sendable { case access, refresh }

    public var subject: String
    public var kind: Kind
    public var fresh: Bool
    public var jti: String
    public var issuedAt: Int64
    public var notBefore: Int64
    /// Seconds since the epoch; fractional values are kept as PyJWT does.
    public var expires: Double
    /// `fam`: the login a rotated refresh token descends from (a UUID set
    /// at login when refresh rotation is on); nil otherwise, and then not
    /// written, so tokens stay as Flask-JWT-Extended lays them out.
    public var family: String?
    /// `auth_time` (OpenID Connect's name): when the login a rotated
    /// refresh token descends from took place, whole seconds. Written with
    /// `fam` only, so tokens stay Flask's when rotation is off.
    public var authTime: Int64?
    /// `csrf`: Flask-JWT-Extended's double-submit value, which the CSRF
    /// cookie repeats; written only in cookie mode with CSRF protection.
    public var csrf: String?
    /// `groups`: the user's groups, sorted, when the token was signed
    /// (`AUTHGATE_TOKEN_GROUPS`); nil writes none. Informational for the
    /// client: AuthGate itself reads memberships from the store, so a
    /// change applies before the token expires.
    public var groups: [String]?
    /// `amr` (RFC 8176): how the login proved who it was, `["pwd", "otp"]`
    /// or `["pwd", "hwk"]` after a second factor; nil (not written) for a
    /// password alone, so such tokens stay exactly Flask's. A refresh
    /// passes it on to the access tokens it makes.
    public var amr: [String]?

    package init(
        subject: String, kind: Kind, fresh: Bool, jti: String, issuedAt: Int64, notBefore: Int64,
        expires: Double, family: String? = nil, authTime: Int64? = nil, csrf: String? = nil,
        groups: [String]? = nil, amr: [String]? = nil
    ) {
        self.subject = subject
        self.kind = kind
        self.fresh = fresh
        self.jti = jti
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expires = expires
        self.family = family
        self.authTime = authTime
        self.csrf = csrf
        self.groups = groups
        self.amr = amr
    }

    /// Whether the login behind the token passed a second factor.
    public var hasSecondFactor: Bool { amr?.contains { $0 == "otp" || $0 == "hwk" } ?? false }

    /// Longest `jti` accepted, in UTF-8 bytes. Logout must be able to store
    /// every `jti` it accepts: PostgreSQL refuses a btree index entry over
    /// about 2,700 bytes (the blocklist's key), and `pg_notify` a payload
    /// of 8,000. Refusing longer ones here, on every route, keeps "logout
    /// answered 200" meaning "the token is revoked". Issuers use UUIDs
    /// (36 bytes); 1,024 leaves room for any other scheme.
    public static let maxJTIBytes = 1024

    /// A `jti` the blocklist can hold as it is: not too long, and no NUL
    /// (PostgreSQL text cannot contain one).
    static func isStorable(jti: String) -> Bool {
        jti.utf8.count <= maxJTIBytes && !jti.utf8.contains(0)
    }

    /// The payload as Flask-JWT-Extended lays it out (`csrf` after `nbf`
    /// when present, as it writes it).
    func json() -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("fresh", .bool(fresh)),
            ("iat", .number(Double(issuedAt))),
            ("jti", .string(jti)),
            ("type", .string(kind.rawValue)),
            ("sub", .string(subject)),
            ("nbf", .number(Double(notBefore)))
        ]
        if let csrf { members.append(("csrf", .string(csrf))) }
        members.append(("exp", .number(expires)))
        if let family { members.append(("fam", .string(family))) }
        if let authTime { members.append(("auth_time", .number(Double(authTime)))) }
        if let groups { members.append(("groups", .array(groups.map { .string($0) }))) }
        if let amr { members.append(("amr", .array(amr.map { .string($0) }))) }
        return JSONWriter.object(members)
    }
}
