import AuthGateCore
/// What an nginx location may require of a token beyond its validity,
/// by `/auth/verify`'s query: `fresh=1` (a token from a login, not from a
/// refresh) and `max_age=N` (issued at most N seconds ago). A token that
/// falls short is refused as Flask-JWT-Extended refuses a stale token on a
/// fresh-only route (`FreshTokenRequired`). `allowed_groups=a,b`: its user
/// must be in at least one of them (`NotInAllowedGroup`, 403). `mfa=1`:
/// the token's login passed a second factor (`amr`; 401 `mfa_required`).
struct VerifyRequirements: Equatable {
    var fresh = false
    var secondFactor = false
    var maxAge: Int64?
    /// nil: any user may pass.
    var allowedGroups: [String]?

    /// Bad values are a 400 naming the parameter: the location is wrong.
    init(_ request: Request) throws(APIError) {
        switch request.queryValue("fresh") {
        case nil, "0"?: fresh = false
        case "1"?: fresh = true
        default: throw .badRequest("fresh must be 0 or 1")
        }
        switch request.queryValue("mfa") {
        case nil, "0"?: secondFactor = false
        case "1"?: secondFactor = true
        default: throw .badRequest("mfa must be 0 or 1")
        }
        if let raw = request.queryValue("max_age") {
            guard !raw.isEmpty, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let seconds = Int64(raw)
            else {
                throw .badRequest("max_age must be a whole number of seconds")
            }
            maxAge = seconds
        }
        if let raw = request.queryValue("allowed_groups") {
            guard let groups = GroupName.list(raw) else {
                throw .badRequest(
                    "allowed_groups must be group names (1 to 64 of A-Z a-z 0-9 . _ -) separated by commas")
            }
            allowedGroups = groups
        }
    }

    init(fresh: Bool = false, maxAge: Int64? = nil, allowedGroups: [String]? = nil, secondFactor: Bool = false) {
        self.fresh = fresh
        self.secondFactor = secondFactor
        self.maxAge = maxAge
        self.allowedGroups = allowedGroups
    }

    /// `claims` already passed every token check. The leeway widens the
    /// age as it widens `exp`: the age limit is an expiry of its own.
    func check(_ claims: Claims, now: Double, leeway: Int64) throws {
        if fresh, !claims.fresh { throw FreshTokenRequired() }
        if let maxAge, now - Double(claims.issuedAt) > Double(maxAge) + Double(leeway) { throw FreshTokenRequired() }
        if secondFactor, !claims.hasSecondFactor { throw SecondFactorError.tokenWithoutSecondFactor }
    }

    /// `groups`: the user's, read from the store for this request (never
    /// from the token), so a change applies to the next request. Names
    /// compare as bytes.
    func check(groups: [String]) throws(NotInAllowedGroup) {
        guard let allowedGroups else { return }
        let allowed = allowedGroups.contains { wanted in groups.contains { $0.utf8.elementsEqual(wanted.utf8) } }
        if !allowed { throw NotInAllowedGroup() }
    }
}
