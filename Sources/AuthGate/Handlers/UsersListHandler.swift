/// GET /api/users/all?page=P&per_page=N: one page query and one count.
enum UsersListHandler {
    static let defaultPerPage = 3
    static let maxPerPage = 100

    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        _ = try Authenticator.authenticate(request, context, kind: .access)
        let page = try positiveInteger(request.queryValue("page"), name: "page") ?? 1
        let perPage = min(try positiveInteger(request.queryValue("per_page"), name: "per_page") ?? defaultPerPage,
                          maxPerPage)
        let total = try context.store.userCount()
        let (skip, overflow) = (page - 1).multipliedReportingOverflow(by: perPage)
        let users = overflow || skip >= total ? [] : try context.store.usersPage(limit: perPage, offset: skip)
        let pages = (total + perPage - 1) / perPage
        let list: [JSONValue] = users.map {
            .object(["id": .string($0.id), "username": .string($0.username), "email": .string($0.email)])
        }
        return .json(200, [
            ("users", .array(list)),
            ("page", .number(Double(page))),
            ("per_page", .number(Double(perPage))),
            ("total", .number(Double(total))),
            ("pages", .number(Double(pages))),
        ])
    }

    /// ASCII digits only, at least 1; absent is nil; anything else a 400.
    static func positiveInteger(_ raw: String?, name: String) throws(APIError) -> Int? {
        guard let raw else { return nil }
        guard !raw.isEmpty, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let n = Int(raw), n >= 1 else {
            throw .badRequest("\(name) must be a positive integer")
        }
        return n
    }
}
