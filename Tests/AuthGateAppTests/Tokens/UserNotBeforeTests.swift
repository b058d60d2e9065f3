import Testing
import AuthGateCore
import AuthGateStore
import AuthGateHTTP
@testable import AuthGateApp
import AuthGateTestSupport

/// `revoke-user`'s not-before as the token check reads it: a token whose
/// whole-second `iat` is below it is revoked, on every route, in contract
/// order (after the jti's own revocation, before the user).
@Suite struct UserNotBeforeTests {
    func token(_ app: TestApp, iat: Int64, kind: Claims.Kind = .access, jti: String = "j") throws -> String {
        try app.services.tokens.sign(
            Claims(
                subject: "alice", kind: kind, fresh: false, jti: jti, issuedAt: iat,
                notBefore: iat, expires: Double(iat + 900)))
    }

    @Test func theEdgeIsTheNotBeforeSecondItself() throws {
        let app = try TestApp()
        try app.addUser()
        let notBefore = Int64(TestApp.now) - 10
        app.store.notBefore["alice"] = notBefore
        #expect(
            app.send("GET", "/auth/whoami", token: try token(app, iat: notBefore - 1)).object == TokenBodies.revoked)
        #expect(app.send("GET", "/auth/whoami", token: try token(app, iat: notBefore)).status == 200)
        #expect(
            app.send("GET", "/auth/refresh", token: try token(app, iat: notBefore - 1, kind: .refresh)).object
                == TokenBodies.revoked)
        #expect(
            app.send("POST", "/auth/logout", token: try token(app, iat: notBefore - 1)).object == TokenBodies.revoked)
    }

    /// The leeway widens time checks, never the revocation.
    @Test func theLeewayDoesNotApply() throws {
        let app = try TestApp(environment: ["FLASK_JWT_DECODE_LEEWAY": "3600"])
        try app.addUser()
        app.store.notBefore["alice"] = Int64(TestApp.now)
        #expect(
            app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now) - 1)).object
                == TokenBodies.revoked)
    }

    @Test func otherUsersAreUntouched() throws {
        let app = try TestApp()
        try app.addUser()
        app.store.notBefore["bob"] = Int64(TestApp.now) + 1
        #expect(app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now))).status == 200)
    }

    @Test func revokedComesBeforeUserNotFound() throws {
        let app = try TestApp()
        app.store.notBefore["alice"] = Int64(TestApp.now)
        #expect(
            app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now) - 1)).object
                == TokenBodies.revoked)
        #expect(
            app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now))).object
                == TokenBodies.userNotFound)
    }

    /// Every token issued up to the revocation has iat below the not-before;
    /// the next whole second is the first that is accepted.
    @Test(arguments: [(100.0, Int64(101)), (100.000001, 101), (100.999999, 101), (0.5, 1)])
    func notBeforeIsTheNextWholeSecond(revokedAt: Double, expected: Int64) {
        #expect(UserAdmin.notBefore(revokedAt: revokedAt) == expected)
        #expect(Int64(revokedAt.rounded(.down)) < expected)  // a token of that moment is refused
    }

    /// With the read cache on, the not-before is answered from memory.
    @Test func theCacheAnswersWithoutTheStore() throws {
        let cache = ReadCache()
        cache.enable(revoked: [:], notBefore: [Array("alice".utf8): Int64(TestApp.now)])
        let app = try TestApp(cache: cache)
        try app.addUser()
        _ = app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now)))  // user now cached
        let calls = app.store.calls
        #expect(
            app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now) - 1)).object
                == TokenBodies.revoked)
        #expect(app.send("GET", "/auth/whoami", token: try token(app, iat: Int64(TestApp.now))).status == 200)
        #expect(app.store.calls == calls)
    }
}
