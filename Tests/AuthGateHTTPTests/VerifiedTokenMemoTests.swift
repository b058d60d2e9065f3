import Logging
import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// The per-thread memo of verified tokens must match tokens byte for byte:
/// Swift `String` equality is canonical equivalence, under which KELVIN
/// SIGN (U+212A) equals "K", so a String-keyed memo would accept a token
/// whose bytes were never verified.
@Suite struct VerifiedTokenMemoTests {
    /// A store the memo never needs; every call fails.
    final class NoStore: UserStore {
        func ping() throws { throw StoreError.unavailable("test") }
        func insertUser(id: String, username: String, email: String, passwordHash: String, createdAt: String) throws {
            throw StoreError.unavailable("test")
        }
        func user(named username: String) throws -> UserRecord? { throw StoreError.unavailable("test") }
        func syncUsernameKeys() throws { throw StoreError.unavailable("test") }
        func usernameKeyTaken(_ key: String) throws -> Bool { throw StoreError.unavailable("test") }
        func insertUser(
            id: String, username: String, email: String, passwordHash: String, createdAt: String,
            usernameKey: String
        ) throws {
            throw StoreError.unavailable("test")
        }
        func allUsernames() throws -> [String] { throw StoreError.unavailable("test") }
        func usernameExists(_ username: String) throws -> Bool { throw StoreError.unavailable("test") }
        func emailExists(_ email: String) throws -> Bool { throw StoreError.unavailable("test") }
        func usersPage(limit: Int, offset: Int) throws -> [PublicUser] { throw StoreError.unavailable("test") }
        func userCount() throws -> Int { throw StoreError.unavailable("test") }
        func revoke(jti: String, type: String, now: Double, expiresAt: Double) throws {
            throw StoreError.unavailable("test")
        }
        func isRevoked(jti: String) throws -> Bool { throw StoreError.unavailable("test") }
        func purgeRevocations(expiredBefore cutoff: Double) throws -> Int { throw StoreError.unavailable("test") }
        func revokeIfLive(jti: String, type: String, now: Double, expiresAt: Double) throws -> Bool {
            throw StoreError.unavailable("test")
        }
        func deleteUser(named username: String) throws -> Bool { throw StoreError.unavailable("test") }
        func revokeTokens(ofUser username: String, issuedBefore notBefore: Int64, now: Double) throws {
            throw StoreError.unavailable("test")
        }
        func tokensNotBefore(ofUser username: String) throws -> Int64? { throw StoreError.unavailable("test") }
        func revokeFamily(_ family: String, username: String, now: Double, expiresAt: Double) throws {
            throw StoreError.unavailable("test")
        }
        func isFamilyRevoked(_ family: String) throws -> Bool { throw StoreError.unavailable("test") }
        func purgeRevokedFamilies(expiredBefore cutoff: Double) throws -> Int { throw StoreError.unavailable("test") }
    }

    func context() throws -> Context {
        let config = try Config.load(
            environment: ["FLASK_SECRET_KEY": "memo-secret"], dotEnv: [:],
            workingDirectory: "/nonexistent")
        return Context(services: try Services(config: config), store: NoStore())
    }

    /// A signed token with at least one "K" in it (most have several).
    func tokenWithK(_ context: Context) throws -> String {
        for n in 0..<200 {
            let claims = Claims(
                subject: "alice", kind: .access, fresh: false, jti: "memo-\(n)",
                issuedAt: 1_700_000_000, notBefore: 1_700_000_000, expires: 4_000_000_000)
            let token = try context.services.tokens.sign(claims)
            if token.utf8.contains(UInt8(ascii: "K")) { return token }
        }
        Issue.record("no token with a K in 200 tries")
        return ""
    }

    @Test func aCanonicallyEquivalentTokenIsNotAMemoHit() throws {
        let context = try context()
        let token = try tokenWithK(context)
        try #require(!token.isEmpty)
        _ = try context.verifiedPayload(token)  // now memoised
        guard let k = token.firstIndex(of: "K") else { return }
        var lookalike = token
        lookalike.replaceSubrange(k...k, with: "\u{212A}")
        #expect(lookalike == token, "precondition: Swift calls them equal")
        #expect(Array(lookalike.utf8) != Array(token.utf8))
        #expect(throws: TokenError.invalidToken) { try context.verifiedPayload(lookalike) }
        // The real token is still served (from the memo or afresh).
        #expect(try context.verifiedPayload(token)["sub"] == .string("alice"))
    }
}
