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

    /// The payload as Flask-JWT-Extended lays it out (no `csrf`).
    func json() -> [UInt8] {
        JSONWriter.object([
            ("fresh", .bool(fresh)),
            ("iat", .number(Double(issuedAt))),
            ("jti", .string(jti)),
            ("type", .string(kind.rawValue)),
            ("sub", .string(subject)),
            ("nbf", .number(Double(notBefore))),
            ("exp", .number(expires)),
        ])
    }
}
