import AuthGateCore
/// POST /auth/register: validates, refuses taken names before paying for
/// a hash, and lets the unique indexes settle races (one 201, the rest 409).
enum RegisterHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let body = try JSONBody(request)
        let username = try body.string("username")
        try Validation.username(username)
        let email = try body.string("email")
        try Validation.email(email)
        let password = try body.string("password")
        try Validation.password(password)
        // Before the existence checks and the hash: a refused sign-up costs
        // nothing and tells nothing about taken names.
        try context.config.registration.admit(email: email)

        let store = context.store
        if try store.usernameExists(username) { throw APIError.userExists }
        if try store.emailExists(email) { throw APIError.emailExists }
        let hash = try context.services.passwords.hash(password)
        do {
            try store.insertUser(id: UUID4.make(), username: username, email: email, passwordHash: hash,
                                 createdAt: Timestamp.format(context.now))
        } catch StoreError.uniqueViolation {
            // PostgreSQL names one index even when both collide: the username wins.
            throw try store.usernameExists(username) ? APIError.userExists : APIError.emailExists
        }
        return .json(201, [("message", .string("User created"))])
    }
}
