import AuthGateCore

/// Second factors on PostgreSQL (`MFAStore`): parameterised, prepared once
/// per connection. Every change that must be all-or-nothing is one
/// statement, so no transaction spans a round trip.
extension PostgresUserStore {
    private enum MFASQL {
        static let enrolment = PGStatement(
            name: "mfa_totp_of_user",
            sql: """
                SELECT secret, confirmed_at IS NOT NULL, last_step FROM authgate_mfa_totp WHERE user_id = $1
                """)
        // A confirmed row is left alone: RETURNING says whether this call wrote.
        static let begin = PGStatement(
            name: "mfa_totp_begin",
            sql: """
                INSERT INTO authgate_mfa_totp (user_id, secret, created_at) VALUES ($1, $2, $3::timestamp)
                ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
                    last_step = -1
                WHERE authgate_mfa_totp.confirmed_at IS NULL
                RETURNING 1
                """, retry: .ifNeverSent)
        // Confirms and replaces the recovery codes in one statement. $4 is
        // a text[] literal of hex digests (the caller's, never a client's text).
        static let confirm = PGStatement(
            name: "mfa_totp_confirm",
            sql: """
                WITH confirmed AS (
                    UPDATE authgate_mfa_totp SET confirmed_at = $5::timestamp, last_step = $3::bigint
                    WHERE user_id = $1 AND secret = $2 AND confirmed_at IS NULL RETURNING user_id),
                  dropped AS (DELETE FROM authgate_mfa_recovery WHERE user_id IN (SELECT user_id FROM confirmed)),
                  added AS (
                    INSERT INTO authgate_mfa_recovery (user_id, code_digest)
                    SELECT confirmed.user_id, d FROM confirmed, unnest($4::text[]) AS d)
                SELECT 1 FROM confirmed
                """, retry: .ifNeverSent)
        static let useStep = PGStatement(
            name: "mfa_totp_use_step",
            sql: """
                UPDATE authgate_mfa_totp SET last_step = $2::bigint
                WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2::bigint RETURNING 1
                """, retry: .ifNeverSent)
        static let useRecovery = PGStatement(
            name: "mfa_recovery_use",
            sql: """
                UPDATE authgate_mfa_recovery SET used_at = $3::timestamp
                WHERE user_id = $1 AND code_digest = $2 AND used_at IS NULL RETURNING 1
                """, retry: .ifNeverSent)
        static let unusedRecovery = PGStatement(
            name: "mfa_recovery_unused",
            sql: "SELECT count(*) FROM authgate_mfa_recovery WHERE user_id = $1 AND used_at IS NULL")
        static let remove = PGStatement(
            name: "mfa_remove",
            sql: """
                WITH totp AS (DELETE FROM authgate_mfa_totp WHERE user_id = $1 RETURNING 1),
                     codes AS (DELETE FROM authgate_mfa_recovery WHERE user_id = $1 RETURNING 1),
                     keys AS (DELETE FROM authgate_mfa_webauthn WHERE user_id = $1 RETURNING 1)
                SELECT (SELECT count(*) FROM totp) + (SELECT count(*) FROM codes) + (SELECT count(*) FROM keys)
                """)
        static let removeTOTP = PGStatement(
            name: "mfa_remove_totp",
            sql: """
                WITH totp AS (DELETE FROM authgate_mfa_totp WHERE user_id = $1 RETURNING 1),
                     codes AS (DELETE FROM authgate_mfa_recovery WHERE user_id = $1 RETURNING 1)
                SELECT (SELECT count(*) FROM totp) + (SELECT count(*) FROM codes)
                """)
        static let credentials = PGStatement(
            name: "mfa_webauthn_of_user",
            sql: """
                SELECT \(WebAuthnCredential.columns) FROM authgate_mfa_webauthn w
                WHERE w.user_id = $1 ORDER BY w.created_at, w.credential_id
                """)
        static let owner = PGStatement(
            name: "mfa_webauthn_owner",
            sql: """
                SELECT \(WebAuthnCredential.columns), u.username
                FROM authgate_mfa_webauthn w JOIN users u ON u.id = w.user_id WHERE w.credential_id = $1
                """)
        static let addCredential = PGStatement(
            name: "mfa_webauthn_add",
            sql: """
                INSERT INTO authgate_mfa_webauthn (credential_id, user_id, public_key, algorithm, sign_count, created_at)
                VALUES ($1, $2, $3, $4::integer, $5::bigint, $6::timestamp) ON CONFLICT DO NOTHING RETURNING 1
                """, retry: .ifNeverSent)
        static let signCount = PGStatement(
            name: "mfa_webauthn_sign_count",
            sql: """
                UPDATE authgate_mfa_webauthn SET sign_count = $4::bigint
                WHERE credential_id = $1 AND user_id = $2 AND sign_count = $3::bigint RETURNING 1
                """, retry: .ifNeverSent)
        static let removeCredential = PGStatement(
            name: "mfa_webauthn_remove",
            sql: "DELETE FROM authgate_mfa_webauthn WHERE credential_id = $1 AND user_id = $2 RETURNING 1",
            retry: .ifNeverSent)
    }

    // PostgreSQL text cannot hold NUL: such a value names no one.

    func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment? {
        guard !userID.utf8.contains(0), let row = try db.execute(MFASQL.enrolment, [userID]).first else { return nil }
        return TOTPEnrolment(
            sealedSecret: try row.string(at: 0), confirmed: try row.bool(at: 1), lastStep: Int64(try row.int(at: 2)))
    }

    func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool {
        guard !userID.utf8.contains(0) else { throw StoreError.failed("a user id cannot contain NUL") }
        return try !db.execute(MFASQL.begin, [userID, sealedSecret, Timestamp.format(now)]).isEmpty
    }

    func confirmTOTP(userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double)
        throws -> Bool
    {
        guard !userID.utf8.contains(0) else { return false }
        // Hex digests need no quoting inside an array literal; anything
        // else is refused rather than escaped.
        guard recoveryDigests.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(Hex.digits.contains) }) else {
            throw StoreError.failed("a recovery code digest must be lowercase hex")
        }
        let digests = "{" + recoveryDigests.joined(separator: ",") + "}"
        return try !db.execute(
            MFASQL.confirm, [userID, sealedSecret, String(step), digests, Timestamp.format(now)]
        ).isEmpty
    }

    func useTOTPStep(userID: String, step: Int64) throws -> Bool {
        guard !userID.utf8.contains(0) else { return false }
        return try !db.execute(MFASQL.useStep, [userID, String(step)]).isEmpty
    }

    func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool {
        guard !userID.utf8.contains(0), !digest.utf8.contains(0) else { return false }
        return try !db.execute(MFASQL.useRecovery, [userID, digest, Timestamp.format(now)]).isEmpty
    }

    func unusedRecoveryCodes(ofUserID userID: String) throws -> Int {
        guard !userID.utf8.contains(0) else { return 0 }
        return try db.execute(MFASQL.unusedRecovery, [userID]).first?.int(at: 0) ?? 0
    }

    func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential] {
        guard !userID.utf8.contains(0) else { return [] }
        return try db.execute(MFASQL.credentials, [userID]).map(WebAuthnCredential.init(row:))
    }

    func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)? {
        guard !credentialID.utf8.contains(0), let row = try db.execute(MFASQL.owner, [credentialID]).first else {
            return nil
        }
        return (try WebAuthnCredential(row: row), try row.string(at: 5))
    }

    func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool {
        guard !credential.userID.utf8.contains(0), !credential.credentialID.utf8.contains(0) else {
            throw StoreError.failed("a user or credential id cannot contain NUL")
        }
        return try !db.execute(
            MFASQL.addCredential,
            [
                credential.credentialID, credential.userID, credential.publicKey, String(credential.algorithm),
                String(credential.signCount), Timestamp.format(now)
            ]
        ).isEmpty
    }

    func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool {
        guard !userID.utf8.contains(0), !credentialID.utf8.contains(0) else { return false }
        return try !db.execute(MFASQL.signCount, [credentialID, userID, String(old), String(new)]).isEmpty
    }

    func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool {
        guard !userID.utf8.contains(0), !credentialID.utf8.contains(0) else { return false }
        return try !db.execute(MFASQL.removeCredential, [credentialID, userID]).isEmpty
    }

    func removeTOTP(userID: String) throws -> Bool {
        guard !userID.utf8.contains(0) else { return false }
        return try (db.execute(MFASQL.removeTOTP, [userID]).first?.int(at: 0) ?? 0) > 0
    }

    func removeMFA(userID: String) throws -> Bool {
        guard !userID.utf8.contains(0) else { return false }
        return try (db.execute(MFASQL.remove, [userID]).first?.int(at: 0) ?? 0) > 0
    }
}
