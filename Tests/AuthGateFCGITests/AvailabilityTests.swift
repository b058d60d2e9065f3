import Testing
import AuthGateCore
import AuthGateStore
import AuthGateHTTP
@testable import AuthGateFCGI
import AuthGateTestSupport

/// Sizing and admission of the KDF pool, without threads or sockets.
@Suite struct AvailabilityTests {
    @Test func cgroupV2QuotaRoundsUpToWholeCores() {
        #expect(CPUBudget.quotaCores(cpuMax: "200000 100000") == 2)
        #expect(CPUBudget.quotaCores(cpuMax: "150000 100000") == 2)
        #expect(CPUBudget.quotaCores(cpuMax: "50000 100000") == 1)
    }

    @Test func noQuotaIsNil() {
        #expect(CPUBudget.quotaCores(cpuMax: "max 100000") == nil)
        #expect(CPUBudget.quotaCores(cpuMax: "-1 100000") == nil)  // cgroup v1, joined
        #expect(CPUBudget.quotaCores(cpuMax: "garbage") == nil)
    }

    @Test func coresAreAtLeastOneAndAtMostTheAffinityMask() {
        let cores = CPUBudget.cores()
        #expect(cores >= 1)
        #expect(cores <= CPUBudget.affinityCount())
    }

    /// The routes that derive a key say so in the table; the transport
    /// sends exactly those to the pool.
    @Test func onlyThePostsThatDeriveAKeyGoToThePool() throws {
        func lane(_ method: String, _ path: String) throws -> Route.Lane {
            try Routes.router.route(method: method, path: path).lane
        }
        for prefix in ["/auth", "/api/auth"] {
            for path in ["/login", "/register", "/sign-in"] {
                #expect(try lane("POST", prefix + path) == .keyDerivation)
            }
            #expect(try lane("GET", prefix + "/sign-in") == .worker)
            #expect(try lane("HEAD", prefix + "/sign-in") == .worker)
            #expect(try lane("POST", prefix + "/refresh") == .worker)
            #expect(try lane("OPTIONS", prefix + "/login") == .worker)
        }
        let derives = Routes.table.filter { $0.lane == .keyDerivation }.map { "\($0.method) \($0.path)" }
        #expect(derives.count == 6 && derives.allSatisfy { $0.hasPrefix("POST ") })
        #expect(throws: APIError.notFound) { try lane("POST", "/auth/logi\u{0301}n") }
    }

    @Test func expectedWaitSharesTheQueueAmongThreads() {
        #expect(KDFPool.expectedWait(pending: 100, averageSeconds: 0.09, threads: 2) == 4.5)
        #expect(KDFPool.expectedWait(pending: 0, averageSeconds: 0.09, threads: 2) == 0)
    }

    @Test func admissionStopsAtTheDeadlineAndTheCap() {
        // A burst of 100 logins on 2 cores (~4.5 s) fits a 10 s deadline...
        #expect(KDFPool.admits(pending: 99, expectedWait: 4.5, deadline: 10))
        // ...a flood that would wait longer does not, nor one past the cap.
        #expect(!KDFPool.admits(pending: 300, expectedWait: 13.5, deadline: 10))
        #expect(!KDFPool.admits(pending: KDFPool.maxQueued, expectedWait: 0, deadline: 10))
    }

    @Test func retryAfterIsWholeSecondsFromOneToThirty() {
        #expect(KDFPool.retryAfter(0) == 1)
        #expect(KDFPool.retryAfter(2.1) == 3)
        #expect(KDFPool.retryAfter(500) == 30)
    }

    @Test func overloadIsA503WithRetryAfter() {
        let error = APIError.overloaded(retryAfter: 3)
        #expect(error.status == 503)
        #expect(error.message == "Service unavailable")
        #expect(error.headers["Retry-After"] == "3")
    }

    @Test func theOldestWaitingJobDerivesFirst() {
        let turns = KDFTurns()
        turns.enter(queuedAt: 10)  // a thread waiting with an older job
        turns.enter(queuedAt: 12)  // the thread that just finished, with a newer one
        #expect(turns.isOldest(queuedAt: 10))
        #expect(!turns.isOldest(queuedAt: 12))
        turns.leave(queuedAt: 10)
        #expect(turns.isOldest(queuedAt: 12))
        turns.leave(queuedAt: 12)
        #expect(turns.isOldest(queuedAt: 11))
    }

    @Test func whileReadsAreServedADerivationPausesToItsShareOfACore() {
        // 0.1 s of CPU at a quarter of a core: 0.3 s of pause.
        #expect(abs(KDFPool.pause(afterCPU: 0.1, readsActive: true) - 0.3) < 1e-9)
        #expect(KDFPool.pause(afterCPU: 0.1, readsActive: false) == 0)
        #expect(KDFPool.pause(afterCPU: 30, readsActive: true) == 1)
    }

    @Test func onlyBusyReadsHoldTheDerivationsBack() {
        let reads = ReadActivity()
        // 100 reads in 200 ms (500 a second): not busy.
        for i in 0..<100 { reads.noteRead(nowMilliseconds: 1_000 + i * 2) }
        #expect(!reads.isBusy(nowMilliseconds: 1_199))
        // 300 in the next window: busy, in it and through the next one.
        for i in 0..<300 { reads.noteRead(nowMilliseconds: 1_200 + i / 2) }
        #expect(reads.isBusy(nowMilliseconds: 1_399))
        reads.noteRead(nowMilliseconds: 1_400)
        #expect(reads.isBusy(nowMilliseconds: 1_450))
        // After a pause in the reads, the old window says nothing.
        #expect(!reads.isBusy(nowMilliseconds: 1_900))
        reads.noteRead(nowMilliseconds: 2_000)
        #expect(!reads.isBusy(nowMilliseconds: 2_001))
    }

    @Test func aWaiterLooksAgainWhenTheReadsCanNextGoQuiet() {
        let reads = ReadActivity()
        for i in 0..<300 { reads.noteRead(nowMilliseconds: 1_000 + i / 2) }
        // Busy in the window that started at 1,000: could turn false at its end...
        #expect(reads.mayGoQuiet(nowMilliseconds: 1_150) == 1_200)
        // ...and, counted again without a new window, at the end of the next.
        #expect(reads.isBusy(nowMilliseconds: 1_250))
        #expect(reads.mayGoQuiet(nowMilliseconds: 1_250) == 1_400)
        #expect(!reads.isBusy(nowMilliseconds: 1_400))
    }
}
