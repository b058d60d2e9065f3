import Glibc
import AuthGateCore

/// Log lines on their way to standard error without a `write(2)` per
/// line on the hot path: lines are appended under a lock and written by a
/// background thread at least once a second, at once when 64 KiB have
/// gathered, and at exit. A warning or worse, and everything before it,
/// is written at once: what an operator needs to see is never held back.
/// Each `write(2)` carries whole lines of at most PIPE_BUF (4,096) bytes
/// together, so on a pipe shared with other processes (the supervisor and
/// its responders) no line is split by another's.
final class LogBuffer: Sendable {
    static let shared = LogBuffer(fd: 2)

    static let flushBytes = 64 * 1024
    static let pipeAtomicBytes = 4096

    private let fd: Int32
    private let pending = Locked<[UInt8]>([])
    /// One writer at a time, so lines leave in the order they were appended.
    private let writing = PthreadMutex()
    private let flusherStarted = Locked<Bool>(false)

    init(fd: Int32) { self.fd = fd }

    /// Queues `line`; `urgent` writes it (and what came before) now.
    func append(_ line: [UInt8], urgent: Bool) {
        let full = pending.withLock { buffer -> Bool in
            buffer.append(contentsOf: line)
            return buffer.count >= Self.flushBytes
        }
        if urgent || full { flush() } else { startFlusherOnce() }
    }

    /// Writes everything queued so far.
    func flush() {
        writing.withLock {
            let bytes = pending.withLock { buffer -> [UInt8] in
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer
            }
            Self.writeLines(bytes, to: fd)
        }
    }

    private func startFlusherOnce() {
        let start = flusherStarted.withLock { started -> Bool in
            defer { started = true }
            return !started
        }
        guard start else { return }
        // Written even if the process ends without returning from main.
        atexit { LogBuffer.shared.flush() }
        // No signal is ever this thread's: it may start before the process
        // blocks SIGTERM, SIGCHLD... for its signalfd, and a signal
        // delivered here would be lost (or kill the process without a
        // drain). A thread inherits its creator's mask: block all around
        // the creation, so it never has a moment with them open.
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        _ = try? spawnThread { [self] in
            while true {
                sleep(1)
                flush()
            }
        }
    }

    /// Writes `bytes` in `lineChunks`, retrying after a signal or a short
    /// write. What cannot be written (stderr closed) is dropped: logging
    /// must never stop a request.
    static func writeLines(_ bytes: [UInt8], to fd: Int32) {
        for chunk in lineChunks(bytes, limit: pipeAtomicBytes) { writeAll(bytes[chunk], to: fd) }
    }

    /// `bytes` cut into runs of whole lines of at most `limit` bytes each;
    /// a line longer than `limit` is a run of its own.
    static func lineChunks(_ bytes: [UInt8], limit: Int) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            var end = start
            var lastNewline = -1
            while end < bytes.count, end - start < limit {
                if bytes[end] == 0x0A { lastNewline = end }
                end += 1
            }
            var cut: Int
            if end == bytes.count {
                cut = end
            } else if lastNewline >= start {
                cut = lastNewline + 1
            } else {
                cut = end
                while cut < bytes.count, bytes[cut - 1] != 0x0A { cut += 1 }
            }
            chunks.append(start..<cut)
            start = cut
        }
        return chunks
    }

    private static func writeAll(_ chunk: ArraySlice<UInt8>, to fd: Int32) {
        chunk.withUnsafeBytes { buffer in
            guard var base = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let n = write(fd, base, left)
                if n > 0 {
                    base += n
                    left -= n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
