import AuthGateCore

/// What taking a new username and e-mail means, for `POST /auth/register`
/// and `authgate create-user` alike: the same name (bytes), or under the
/// caseless policy a name of the same `UsernameFold`, is taken; so is the
/// same e-mail ignoring ASCII case. The unique indexes settle races.
public enum RegistrationConflict: Sendable, Equatable {
    case username
    case email
}

extension UserStore {
    /// What already holds the name or the e-mail; checked before paying for a hash.
    package func registrationConflict(
        username: String, email: String,
        policy: UsernamePolicy
    ) throws -> RegistrationConflict? {
        if try usernameExists(username) { return .username }
        if policy == .caseless, try usernameKeyTaken(try Self.key(of: username)) { return .username }
        if try emailExists(email) { return .email }
        return nil
    }

    /// Inserts the user (with its key under the caseless policy); nil when
    /// it was written, else what a concurrent registration took first.
    package func insertNewUser(
        id: String, username: String, email: String, passwordHash: String,
        createdAt: String, policy: UsernamePolicy
    ) throws -> RegistrationConflict? {
        do {
            switch policy {
            case .exact:
                try insertUser(
                    id: id, username: username, email: email, passwordHash: passwordHash,
                    createdAt: createdAt)
            case .caseless:
                try insertUser(
                    id: id, username: username, email: email, passwordHash: passwordHash,
                    createdAt: createdAt, usernameKey: try Self.key(of: username))
            }
            return nil
        } catch StoreError.uniqueViolation {
            // PostgreSQL names one index even when both collide: the username wins.
            if let conflict = try registrationConflict(username: username, email: email, policy: policy) {
                return conflict
            }
            // Taken a moment ago and gone again (deleted): still this request's conflict.
            return .username
        }
    }
}
