import AuthGateCore

/// Second factors on SQLite (`MFAStore`). Writes that touch both tables
/// run in one write transaction.
extension SQLiteUserStore {
    func totpEnrolment(ofUserID userID: String) throws -> TOTPEnrolment? {
        guard
            let row = try db.execute(
                "SELECT secret, confirmed_at IS NOT NULL, last_step FROM authgate_mfa_totp WHERE user_id = ?",
                [userID]
            ).first
        else { return nil }
        return TOTPEnrolment(
            sealedSecret: try row.string(at: 0), confirmed: try row.bool(at: 1), lastStep: Int64(try row.int(at: 2)))
    }

    func beginTOTP(userID: String, sealedSecret: String, now: Double) throws -> Bool {
        // One connection per thread: `changes` is this statement's count.
        try db.execute(
            """
            INSERT INTO authgate_mfa_totp (user_id, secret, created_at) VALUES (?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
                last_step = -1
            WHERE authgate_mfa_totp.confirmed_at IS NULL
            """, [userID, sealedSecret, Timestamp.format(now)])
        return db.changes == 1
    }

    func confirmTOTP(userID: String, sealedSecret: String, step: Int64, recoveryDigests: [String], now: Double)
        throws -> Bool
    {
        try db.inWriteTransaction {
            try db.execute(
                """
                UPDATE authgate_mfa_totp SET confirmed_at = ?, last_step = ?
                WHERE user_id = ? AND secret = ? AND confirmed_at IS NULL
                """, [Timestamp.format(now), String(step), userID, sealedSecret])
            guard db.changes == 1 else { return false }
            try db.execute("DELETE FROM authgate_mfa_recovery WHERE user_id = ?", [userID])
            for digest in recoveryDigests {
                try db.execute(
                    "INSERT INTO authgate_mfa_recovery (user_id, code_digest) VALUES (?, ?)", [userID, digest])
            }
            return true
        }
    }

    func useTOTPStep(userID: String, step: Int64) throws -> Bool {
        try db.execute(
            """
            UPDATE authgate_mfa_totp SET last_step = ?
            WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?
            """, [String(step), userID, String(step)])
        return db.changes == 1
    }

    func useRecoveryCode(userID: String, digest: String, now: Double) throws -> Bool {
        try db.execute(
            """
            UPDATE authgate_mfa_recovery SET used_at = ?
            WHERE user_id = ? AND code_digest = ? AND used_at IS NULL
            """, [Timestamp.format(now), userID, digest])
        return db.changes == 1
    }

    func unusedRecoveryCodes(ofUserID userID: String) throws -> Int {
        try db.execute(
            "SELECT count(*) FROM authgate_mfa_recovery WHERE user_id = ? AND used_at IS NULL", [userID]
        ).first?.int(at: 0) ?? 0
    }

    func webAuthnCredentials(ofUserID userID: String) throws -> [WebAuthnCredential] {
        try db.execute(
            """
            SELECT \(WebAuthnCredential.columns) FROM authgate_mfa_webauthn w
            WHERE w.user_id = ? ORDER BY w.created_at, w.credential_id
            """, [userID]
        ).map(WebAuthnCredential.init(row:))
    }

    func passkeyOwner(credentialID: String) throws -> (credential: WebAuthnCredential, username: String)? {
        guard
            let row = try db.execute(
                """
                SELECT \(WebAuthnCredential.columns), u.username
                FROM authgate_mfa_webauthn w JOIN users u ON u.id = w.user_id WHERE w.credential_id = ?
                """, [credentialID]
            ).first
        else { return nil }
        return (try WebAuthnCredential(row: row), try row.string(at: 5))
    }

    func addWebAuthnCredential(_ credential: WebAuthnCredential, now: Double) throws -> Bool {
        try db.execute(
            """
            INSERT OR IGNORE INTO authgate_mfa_webauthn
                (credential_id, user_id, public_key, algorithm, sign_count, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                credential.credentialID, credential.userID, credential.publicKey, String(credential.algorithm),
                String(credential.signCount), Timestamp.format(now)
            ])
        return db.changes == 1
    }

    func updateSignCount(credentialID: String, userID: String, from old: Int64, to new: Int64) throws -> Bool {
        try db.execute(
            """
            UPDATE authgate_mfa_webauthn SET sign_count = ? WHERE credential_id = ? AND user_id = ? AND sign_count = ?
            """, [String(new), credentialID, userID, String(old)])
        return db.changes == 1
    }

    func removeWebAuthnCredential(credentialID: String, userID: String) throws -> Bool {
        try db.execute(
            "DELETE FROM authgate_mfa_webauthn WHERE credential_id = ? AND user_id = ?", [credentialID, userID])
        return db.changes == 1
    }

    func removeTOTP(userID: String) throws -> Bool {
        try db.inWriteTransaction { try deleteRows(of: userID, from: ["authgate_mfa_totp", "authgate_mfa_recovery"]) }
    }

    func removeMFA(userID: String) throws -> Bool {
        try db.inWriteTransaction {
            try deleteRows(of: userID, from: ["authgate_mfa_totp", "authgate_mfa_recovery", "authgate_mfa_webauthn"])
        }
    }

    /// Deletes the user's rows of each table (fixed names, never a
    /// client's); true when any went.
    private func deleteRows(of userID: String, from tables: [String]) throws -> Bool {
        var removed = 0
        for table in tables {
            try db.execute("DELETE FROM \(table) WHERE user_id = ?", [userID])
            removed += db.changes
        }
        return removed > 0
    }
}
