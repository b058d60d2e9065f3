import Testing
@testable import AuthGateFCGI

@Suite struct OncePerIntervalTests {
    @Test func oneCallerPerInterval() {
        let gate = OncePerInterval(1000)
        // `#expect` takes copyable operands only: the claims are made first.
        let claims = [5_000, 5_000, 5_999, 6_000, 6_500].map { gate.claim(now: $0) }
        #expect(claims == [true, false, false, true, false])  // the first call is let in
    }
}
