import Testing
import AuthGateCore
import AuthGateStore
@testable import AuthGateHTTP
import AuthGateTestSupport

/// GET /healthz (readiness, pings the store) and GET /livez (liveness, does not).
@Suite struct HealthHandlerTests {
    @Test func healthzIsOkWhileTheStoreAnswers() throws {
        let app = try TestApp()
        let r = app.send("GET", "/healthz")
        #expect(r.status == 200)
        #expect(r.object == strings(["status": "ok", "database": "ok"]))
        #expect(app.store.calls == 1)
    }

    @Test func healthzIs503WhileTheStoreIsDown() throws {
        let app = try TestApp()
        app.store.down = true
        let r = app.send("GET", "/healthz")
        #expect(r.status == 503)
        #expect(
            r.object == strings(["status": "unavailable", "database": "unreachable", "error": "Service unavailable"]))
        app.store.down = false
        #expect(app.send("GET", "/healthz").status == 200)
    }

    @Test func livezIsOkWithoutTouchingTheStore() throws {
        let app = try TestApp()
        app.store.down = true
        let r = app.send("GET", "/livez")
        #expect(r.status == 200 && r.object == strings(["status": "ok"]))
        #expect(app.store.calls == 0)
    }

    @Test func healthRoutesTakeNoToken() throws {
        let app = try TestApp()
        for path in ["/healthz", "/livez"] {
            let r = app.send("GET", path, token: "garbage")
            #expect(r.status == 200, "\(path)")
        }
    }
}
