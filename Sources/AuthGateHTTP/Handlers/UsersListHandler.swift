import AuthGateCore
/// GET /api/users/all?page=P&per_page=N: one page query and one count.
enum UsersListHandler {
    static let defaultPerPage = 3
    static let maxPerPage = 100

    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        _ = try Authenticator.authenticate(request, context, kind: .access)
        let page = try positiveInteger(request.queryValue("page"), name: "page") ?? 1
        let perPage = try perPageValue(request.queryValue("per_page"))
        let total = try context.store.userCount()
        let (skip, overflow) = (page - 1).multipliedReportingOverflow(by: perPage)
        let users = overflow || skip >= total ? [] : try context.store.usersPage(limit: perPage, offset: skip)
        let pages = (total + perPage - 1) / perPage
        // Written by hand: this is the hottest response, and a JSONValue
        // tree with sorted dictionaries cost a fifth of its time.
        var body: [UInt8] = []
        body.reserveCapacity(64 + users.count * 120)
        body.append(contentsOf: #"{"users":["#.utf8)
        for (i, user) in users.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            // What `JSONWriter.writeObject` writes for these three members,
            // without a members array and three boxed values per user.
            body.append(contentsOf: #"{"id":"#.utf8)
            JSONWriter.writeString(user.id, into: &body)
            body.append(contentsOf: #","username":"#.utf8)
            JSONWriter.writeString(user.username, into: &body)
            body.append(contentsOf: #","email":"#.utf8)
            JSONWriter.writeString(user.email, into: &body)
            body.append(UInt8(ascii: "}"))
        }
        // Piece by piece: an interpolated String would be built on the heap first.
        func member(_ key: StaticString, _ n: Int) {
            body.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            body.append(contentsOf: String(n).utf8)
        }
        member(#"],"page":"#, page)
        member(#","per_page":"#, perPage)
        member(#","total":"#, total)
        member(#","pages":"#, pages)
        body.append(UInt8(ascii: "}"))
        return Response(status: 200, body: body)
    }

    /// ASCII digits only, at least 1; absent is nil; anything else a 400,
    /// a number too large for 64 bits included.
    static func positiveInteger(_ raw: String?, name: String) throws(APIError) -> Int? {
        guard let raw else { return nil }
        guard isDigits(raw), let n = Int(raw), n >= 1 else {
            throw .badRequest("\(name) must be a positive integer")
        }
        return n
    }

    /// `per_page` as Flask-SQLAlchemy serves it: default 3, anything above
    /// 100 is 100. Digits that `Int` cannot hold overflowed (leading zeros
    /// parse), so they are above 100 too. Zero and non-digits stay 400s.
    static func perPageValue(_ raw: String?) throws(APIError) -> Int {
        if let raw, isDigits(raw), Int(raw) == nil { return maxPerPage }
        return min(try positiveInteger(raw, name: "per_page") ?? defaultPerPage, maxPerPage)
    }

    static func isDigits(_ raw: String) -> Bool {
        !raw.isEmpty && raw.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
