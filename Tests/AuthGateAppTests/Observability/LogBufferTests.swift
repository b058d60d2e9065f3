import Glibc
import Testing
@testable import AuthGateApp
import AuthGateTestSupport

/// Buffered log output: whole lines, in order, in writes no larger than
/// PIPE_BUF unless one line is longer.
@Suite struct LogBufferTests {
    func lines(_ sizes: [Int]) -> [UInt8] {
        sizes.enumerated().flatMap { i, n in Array(repeating: UInt8(ascii: "a") + UInt8(i % 20), count: n - 1) + [0x0A]
        }
    }

    @Test func chunksAreWholeLinesWithinTheLimit() {
        let bytes = lines([100, 2000, 1996, 1, 3000, 5000, 10])
        let chunks = LogBuffer.lineChunks(bytes, limit: 4096)
        #expect(chunks.map(\.count) == [4096, 3001, 5000, 10])
        #expect(chunks.allSatisfy { bytes[$0.upperBound - 1] == 0x0A })
        #expect(chunks.flatMap { Array(bytes[$0]) } == bytes)
    }

    @Test func anUnfinishedTailIsWrittenAsItIs() {
        let bytes = Array("one\ntwo".utf8)
        #expect(LogBuffer.lineChunks(bytes, limit: 4096) == [0..<7])
        #expect(LogBuffer.lineChunks([], limit: 4096).isEmpty)
    }

    @Test func linesLeaveInOrderOnFlushAndUrgentLinesAtOnce() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let buffer = LogBuffer(fd: fds[1])
        buffer.append(Array("first\n".utf8), urgent: false)
        buffer.append(Array("second\n".utf8), urgent: true)  // writes both, in order
        var out = [UInt8](repeating: 0, count: 64)
        let n = read(fds[0], &out, 64)
        #expect(String(decoding: out.prefix(max(n, 0)), as: UTF8.self) == "first\nsecond\n")
    }
}
