import AuthGateCore
import AuthGateStore
/// POST /auth/register: validates, refuses taken names (look-alikes too
/// under the caseless policy) before paying for a hash, and lets the
/// unique indexes settle races (one 201, the rest 409).
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
        let policy = context.config.usernamePolicy
        if let conflict = try store.registrationConflict(username: username, email: email, policy: policy) {
            throw APIError(conflict)
        }
        let hash = try context.services.passwords.hash(password, using: context.deriver)
        if let conflict = try store.insertNewUser(
            id: UUID4.make(), username: username, email: email,
            passwordHash: hash, createdAt: Timestamp.format(context.now),
            policy: policy)
        {
            throw APIError(conflict)
        }
        return .json(201, [("message", .string("User created"))])
    }
}

extension APIError {
    /// The contract's 409 for what a registration found taken.
    init(_ conflict: RegistrationConflict) {
        switch conflict {
        case .username: self = .userExists
        case .email: self = .emailExists
        }
    }
}
