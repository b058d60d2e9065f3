import Glibc
import Logging
import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// What every `UserStore` promises (the protocol's comments), checked on the
/// tests' memory store, on SQLite and, when `AUTHGATE_TEST_POSTGRES_URI`
/// names a throwaway database (the end-to-end suite's
/// `test_store_contract.py` gives one), on PostgreSQL. The memory store
/// stands in for the databases in every handler test, so it must keep the
/// same rules; the PostgreSQL run empties the tables before each test.
@Suite(.serialized) struct UserStoreContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory, sqlite, postgres
        var testDescription: String { rawValue }
    }

    // Foundation stays out: its ICU clashes with the system ICU AuthGateCore links.
    static let postgresURI = getenv("AUTHGATE_TEST_POSTGRES_URI").map { String(cString: $0) }
    static let backends: [Backend] = postgresURI == nil ? [.memory, .sqlite] : Backend.allCases

    /// A migrated, empty store of `backend`; `keep` holds what must outlive it.
    struct Subject {
        let store: any UserStore
        let keep: AnyObject?
    }

    static func subject(_ backend: Backend) throws -> Subject {
        switch backend {
        case .memory:
            return Subject(store: MemoryUserStore(), keep: nil)
        case .sqlite:
            let fixture = try SQLiteFixture()
            return Subject(store: try fixture.store(), keep: fixture)
        case .postgres:
            let uri = try #require(postgresURI)
            let location = DatabaseLocation.postgres(uri: uri)
            try location.migrate(logger: SQLiteFixture.quiet)
            let raw = PGConnection(uri: uri, echo: false, logger: SQLiteFixture.quiet)
            _ = try raw.exec(
                unsafeSQL: """
                    TRUNCATE users, token_blocklist, authgate_login_failures, authgate_refresh_families,
                    authgate_user_groups, authgate_user_revocations, authgate_username_keys,
                    authgate_mfa_totp, authgate_mfa_recovery, authgate_mfa_webauthn
                    """)
            return Subject(store: try location.open(echo: false, logger: SQLiteFixture.quiet), keep: nil)
        }
    }

    static func insert(_ store: any UserStore, _ name: String, email: String? = nil, at second: Int = 0) throws {
        try store.insertUser(
            id: "id-" + name.utf8.map { String($0, radix: 16) }.joined(), username: name,
            email: email ?? "\(name)@example.com",
            passwordHash: "pbkdf2:sha256:1$salt$\(name)",
            createdAt: "2024-01-01 00:00:\(second < 10 ? "0" : "")\(second).000000")
    }

    static func isUniqueViolation(_ body: () throws -> Void) -> Bool {
        do { try body() } catch StoreError.uniqueViolation { return true } catch { return false }
        return false
    }

    @Test(arguments: backends)
    func aUserReadsBackAsWritten(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try store.insertUser(
            id: "id-1", username: "alice", email: "Alice@Example.com", passwordHash: "hash-1",
            createdAt: "2024-01-01 00:00:00.000000")
        let alice = try #require(try store.user(named: "alice"))
        #expect(alice.id == "id-1" && alice.email == "Alice@Example.com" && alice.passwordHash == "hash-1")
        #expect(try store.user(named: "Alice") == nil)
        #expect(try store.usernameExists("alice") && !store.usernameExists("alice "))
        #expect(try store.emailExists("alice@example.COM"))
        #expect(try store.userCount() == 1)
    }

    /// Usernames are bytes: NFC and NFD spellings are two users (Swift's
    /// `==` would call them equal); e-mails ignore ASCII case only.
    @Test(arguments: backends)
    func usernamesAreBytesAndEmailsIgnoreASCIICase(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try Self.insert(store, "zo\u{00EB}", email: "nfc@example.com")
        #expect(try !store.usernameExists("zoe\u{0308}"))
        try Self.insert(store, "zoe\u{0308}", email: "nfd@example.com")
        #expect(try store.userCount() == 2)
        #expect(Self.isUniqueViolation { try Self.insert(store, "zo\u{00EB}", email: "other@example.com") })
        #expect(Self.isUniqueViolation { try Self.insert(store, "someone", email: "NFC@Example.COM") })
        #expect(try store.userCount() == 2)
    }

    @Test(arguments: backends)
    func pagesFollowRegistrationOrder(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try Self.insert(store, "c", at: 3)
        try Self.insert(store, "a", at: 1)
        try Self.insert(store, "b1", at: 2)
        try Self.insert(store, "b2", at: 2)
        #expect(try store.usersPage(limit: 10, offset: 0).map(\.username) == ["a", "b1", "b2", "c"])
        #expect(try store.usersPage(limit: 2, offset: 1).map(\.username) == ["b1", "b2"])
        #expect(try store.usersPage(limit: 2, offset: 4).isEmpty)
        #expect(try store.userCount() == 4)
    }

    @Test(arguments: backends)
    func revocationsAreKeptUntilPurgedAndRevokeIfLiveArbitrates(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try store.revoke(jti: "j1", type: "access", now: 100, expiresAt: 200)
        #expect(try store.isRevoked(jti: "j1") && !store.isRevoked(jti: "j2"))
        #expect(try store.revokeIfLive(jti: "j2", type: "refresh", now: 100, expiresAt: 300))
        #expect(try !store.revokeIfLive(jti: "j2", type: "refresh", now: 101, expiresAt: 300))
        #expect(try store.purgeRevocations(expiredBefore: 250) == 1)
        #expect(try !store.isRevoked(jti: "j1") && store.isRevoked(jti: "j2"))
    }

    @Test(arguments: backends)
    func aUsersNotBeforeOnlyMovesForward(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        #expect(try store.tokensNotBefore(ofUser: "alice") == nil)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 500, now: 500)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 400, now: 501)
        #expect(try store.tokensNotBefore(ofUser: "alice") == 500)
        try store.revokeTokens(ofUser: "alice", issuedBefore: 600, now: 600)
        #expect(try store.tokensNotBefore(ofUser: "alice") == 600)
    }

    @Test(arguments: backends)
    func revokedFamiliesAreKeptUntilPurged(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try store.revokeFamily("f1", username: "alice", now: 100, expiresAt: 200)
        try store.revokeFamily("f2", username: "alice", now: 100, expiresAt: 400)
        #expect(try store.isFamilyRevoked("f1") && !store.isFamilyRevoked("f3"))
        #expect(try store.purgeRevokedFamilies(expiredBefore: 300) == 1)
        #expect(try !store.isFamilyRevoked("f1") && store.isFamilyRevoked("f2"))
    }

    @Test(arguments: backends)
    func loginFailuresCountInAWindowThatStartsAgainOnceOver(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        #expect(try store.loginFailures(key: "alice", address: "10.0.0.1") == nil)
        try store.recordLoginFailure(key: "alice", address: "10.0.0.1", now: 100, windowCutoff: 40)
        try store.recordLoginFailure(key: "alice", address: "10.0.0.1", now: 110, windowCutoff: 50)
        #expect(
            try store.loginFailures(key: "alice", address: "10.0.0.1")
                == LoginFailures(failures: 2, windowStartedAt: 100))
        // The window opened at 100, at the cutoff: over, a new one starts.
        try store.recordLoginFailure(key: "alice", address: "10.0.0.1", now: 160, windowCutoff: 100)
        #expect(
            try store.loginFailures(key: "alice", address: "10.0.0.1")
                == LoginFailures(failures: 1, windowStartedAt: 160))
        try store.recordLoginFailure(key: "bob", address: "10.0.0.1", now: 50, windowCutoff: 0)
        #expect(try store.purgeLoginFailures(windowStartedBefore: 100) == 1)
        try store.clearLoginFailures(key: "alice", address: "10.0.0.1")
        #expect(try store.loginFailures(key: "alice", address: "10.0.0.1") == nil)
    }

    @Test(arguments: backends)
    func aHashIsReplacedOnlyWhileItIsStillTheOldOne(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try Self.insert(store, "alice")
        let alice = try #require(try store.user(named: "alice"))
        #expect(try store.replacePasswordHash(userID: alice.id, oldHash: alice.passwordHash, newHash: "new"))
        #expect(try !store.replacePasswordHash(userID: alice.id, oldHash: alice.passwordHash, newHash: "newer"))
        #expect(try store.user(named: "alice")?.passwordHash == "new")
    }

    @Test(arguments: backends)
    func groupsAreSortedByBytesAndGoWithTheirUser(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try Self.insert(store, "alice")
        try Self.insert(store, "bob")
        let alice = try #require(try store.user(named: "alice")).id
        let bob = try #require(try store.user(named: "bob")).id
        #expect(try store.addToGroup(userID: alice, group: "ops"))
        #expect(try !store.addToGroup(userID: alice, group: "ops"))
        #expect(try store.addToGroup(userID: alice, group: "Admins"))
        #expect(try store.addToGroup(userID: bob, group: "ops"))
        #expect(try store.groups(ofUserID: alice) == ["Admins", "ops"])
        #expect(try store.groupMemberCounts().map { "\($0.group)=\($0.members)" } == ["Admins=1", "ops=2"])
        #expect(try store.removeFromGroup(userID: alice, group: "Admins"))
        #expect(try !store.removeFromGroup(userID: alice, group: "Admins"))
        #expect(try store.deleteUser(named: "bob") && !store.deleteUser(named: "bob"))
        #expect(try store.groupMemberCounts().map { "\($0.group)=\($0.members)" } == ["ops=1"])
    }

    @Test(arguments: backends)
    func aTakenUsernameKeyRefusesTheWholeInsert(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try store.insertUser(
            id: "id-1", username: "Alice", email: "a@example.com", passwordHash: "h",
            createdAt: "2024-01-01 00:00:00.000000",
            usernameKey: "alice")
        #expect(try store.usernameKeyTaken("alice") && !store.usernameKeyTaken("bob"))
        #expect(
            Self.isUniqueViolation {
                try store.insertUser(
                    id: "id-2", username: "ALICE", email: "b@example.com", passwordHash: "h",
                    createdAt: "2024-01-01 00:00:01.000000", usernameKey: "alice")
            })
        #expect(try !store.usernameExists("ALICE") && store.userCount() == 1)
        #expect(try store.allUsernames() == ["Alice"])
    }

    /// TOTP enrolment: nothing active before the confirm; a begin never
    /// replaces a confirmed secret; the confirm must name the waiting one.
    @Test(arguments: backends)
    func aTOTPEnrolmentStartsWaitsAndIsConfirmedOnce(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        #expect(try store.totpEnrolment(ofUserID: "u1") == nil)
        #expect(try store.beginTOTP(userID: "u1", sealedSecret: "s1", now: 1_700_000_000))
        #expect(try store.beginTOTP(userID: "u1", sealedSecret: "s2", now: 1_700_000_001))
        #expect(
            try store.totpEnrolment(ofUserID: "u1") == TOTPEnrolment(sealedSecret: "s2", confirmed: false, lastStep: -1)
        )
        #expect(try !store.useTOTPStep(userID: "u1", step: 5))
        let digests = ["aa01", "bb02", "cc03"]
        #expect(
            try !store.confirmTOTP(
                userID: "u1", sealedSecret: "s1", step: 7, recoveryDigests: digests, now: 1_700_000_002))
        #expect(
            try store.confirmTOTP(
                userID: "u1", sealedSecret: "s2", step: 7, recoveryDigests: digests, now: 1_700_000_002))
        #expect(
            try store.totpEnrolment(ofUserID: "u1") == TOTPEnrolment(sealedSecret: "s2", confirmed: true, lastStep: 7))
        #expect(
            try !store.confirmTOTP(
                userID: "u1", sealedSecret: "s2", step: 8, recoveryDigests: digests, now: 1_700_000_003))
        #expect(try !store.beginTOTP(userID: "u1", sealedSecret: "s3", now: 1_700_000_004))
        #expect(try store.totpEnrolment(ofUserID: "u1")?.sealedSecret == "s2")
        #expect(try store.unusedRecoveryCodes(ofUserID: "u1") == 3)
        #expect(try store.totpEnrolment(ofUserID: "u2") == nil)
    }

    /// A step is used once and never before a later one; a recovery code once.
    @Test(arguments: backends)
    func stepsAndRecoveryCodesAreUsedOnce(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        #expect(try store.beginTOTP(userID: "u1", sealedSecret: "s", now: 1_700_000_000))
        #expect(
            try store.confirmTOTP(
                userID: "u1", sealedSecret: "s", step: 10, recoveryDigests: ["d1", "d2"], now: 1_700_000_000))
        #expect(try !store.useTOTPStep(userID: "u1", step: 10))
        #expect(try !store.useTOTPStep(userID: "u1", step: 9))
        #expect(try store.useTOTPStep(userID: "u1", step: 12))
        #expect(try !store.useTOTPStep(userID: "u1", step: 11))
        #expect(try !store.useTOTPStep(userID: "u2", step: 13))
        #expect(try store.useRecoveryCode(userID: "u1", digest: "d1", now: 1_700_000_001))
        #expect(try !store.useRecoveryCode(userID: "u1", digest: "d1", now: 1_700_000_002))
        #expect(try !store.useRecoveryCode(userID: "u2", digest: "d2", now: 1_700_000_002))
        #expect(try !store.useRecoveryCode(userID: "u1", digest: "d3", now: 1_700_000_002))
        #expect(try store.unusedRecoveryCodes(ofUserID: "u1") == 1)
        // A new confirm (after a removal) replaces the codes.
        #expect(try store.removeMFA(userID: "u1"))
        #expect(try !store.removeMFA(userID: "u1"))
        #expect(try store.totpEnrolment(ofUserID: "u1") == nil && store.unusedRecoveryCodes(ofUserID: "u1") == 0)
        #expect(try store.beginTOTP(userID: "u1", sealedSecret: "t", now: 1_700_000_003))
        #expect(
            try store.confirmTOTP(userID: "u1", sealedSecret: "t", step: 1, recoveryDigests: ["e1"], now: 1_700_000_003)
        )
        #expect(try !store.useRecoveryCode(userID: "u1", digest: "d2", now: 1_700_000_004))
        #expect(try store.useRecoveryCode(userID: "u1", digest: "e1", now: 1_700_000_004))
    }

    /// Passkeys: a credential id is registered once (to anyone); the sign
    /// counter moves compare-and-set; a removal takes only that user's key.
    @Test(arguments: backends)
    func passkeysAreAddedCountedAndRemovedOneByOne(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try Self.insert(store, "alice")
        let id = try #require(try store.user(named: "alice")).id
        func key(_ credential: String, user: String) -> WebAuthnCredential {
            WebAuthnCredential(
                userID: user, credentialID: credential, publicKey: "pk-" + credential, algorithm: -7, signCount: 1)
        }
        #expect(try store.addWebAuthnCredential(key("c1", user: id), now: 1_700_000_000))
        #expect(try store.addWebAuthnCredential(key("c2", user: id), now: 1_700_000_001))
        #expect(try !store.addWebAuthnCredential(key("c1", user: "u2"), now: 1_700_000_002))
        #expect(try store.addWebAuthnCredential(key("c3", user: "u2"), now: 1_700_000_002))
        #expect(try store.webAuthnCredentials(ofUserID: id).map(\.credentialID) == ["c1", "c2"])
        #expect(try store.passkeyOwner(credentialID: "c2")?.username == "alice")
        #expect(try store.updateSignCount(credentialID: "c1", userID: id, from: 1, to: 5))
        #expect(try !store.updateSignCount(credentialID: "c1", userID: id, from: 1, to: 6))
        #expect(try !store.removeWebAuthnCredential(credentialID: "c3", userID: id))  // another user's
        #expect(try !store.removeWebAuthnCredential(credentialID: "nope", userID: id))
        #expect(try store.removeWebAuthnCredential(credentialID: "c1", userID: id))
        #expect(try !store.removeWebAuthnCredential(credentialID: "c1", userID: id))
        #expect(try store.webAuthnCredentials(ofUserID: id) == [key("c2", user: id)])
        #expect(try store.webAuthnCredentials(ofUserID: "u2").map(\.credentialID) == ["c3"])
    }

    /// Deleting a user takes their second factors with them: a name
    /// registered again starts without any.
    @Test(arguments: backends)
    func deletingAUserRemovesTheirSecondFactors(_ backend: Backend) throws {
        let store = try Self.subject(backend).store
        try Self.insert(store, "alice")
        let id = try #require(try store.user(named: "alice")).id
        #expect(try store.beginTOTP(userID: id, sealedSecret: "s", now: 1_700_000_000))
        #expect(
            try store.confirmTOTP(userID: id, sealedSecret: "s", step: 1, recoveryDigests: ["d1"], now: 1_700_000_000))
        #expect(try store.deleteUser(named: "alice"))
        #expect(try store.totpEnrolment(ofUserID: id) == nil && store.unusedRecoveryCodes(ofUserID: id) == 0)
    }
}
