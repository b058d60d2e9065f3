import Glibc
import Testing
@testable import AuthGateFCGI

@Suite struct ProcessSpawnTests {
    @Test func aFailedFileActionStartsNothing() {
        do {
            _ = try ProcessSpawn.start("/bin/true", arguments: ["true"], environment: [], defaultSignals: nil) {
                [posix_spawn_file_actions_adddup2(&$0, -1, 3)]
            }
            Issue.record("started with a file action that failed")
        } catch {
            #expect(error.errno == EBADF)
        }
    }
}
