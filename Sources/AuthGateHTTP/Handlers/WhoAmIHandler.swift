/// GET /auth/whoami: the token's user. `"message": "message"` is the
/// tutorial's own wording, kept literally.
enum WhoAmIHandler {
    @Sendable static func handle(_ request: Request, _ context: Context) throws -> Response {
        let (_, user) = try Authenticator.authenticate(request, context, kind: .access)
        return .json(
            200,
            [
                ("message", .string("message")),
                (
                    "user_details",
                    .object([
                        "id": .string(user.id), "username": .string(user.username),
                        "email": .string(user.email)
                    ])
                )
            ])
    }
}
