internal import CSystem
import Glibc
import AuthGateCore

/// The loop of a KDF helper process (`authgate kdf-helper`, started by
/// `KDFHelper`): reads a request on fd 3, derives, answers, until the
/// responder closes its end. It holds no secret but the passwords passing
/// through, gets only OpenSSL's variables from the environment, and lives
/// in a session of its own: the kernel shares CPU between sessions first
/// (autogroups), so in its own, lowered one, a derivation waits for nginx
/// and the workers instead of competing with them as the responder's
/// whole share.
package enum KDFHelperMain {
    static let fd: Int32 = 3
    /// The nice of the helper's session, and of its thread (where the kernel
    /// groups by cgroup instead, the thread's nice is what counts). Measured
    /// with `BENCH_ONLY=flood BENCH_FLOODS=256 make bench`: derivations in the
    /// responder's own session put the reads' p99 at 26-59 ms; with the
    /// kernel's autogroups off (every thread competing alone, the KDF threads
    /// at nice 10), 6-8 ms; in these helpers, 7-13 ms.
    static let nice: Int32 = 10

    /// Exits 0 when the responder closes its end, 1 on anything else.
    package static func run(parent: Int32) -> Int32 {
        // First, before anything calls OpenSSL (as in `serve`).
        _ = PasswordService.keepKDFBuffers()
        // Started in a session of its own (`KDFHelper`), whose nice this sets.
        guard authgate_die_with_parent_named("authgate-kdf") == 0, getppid() == parent else { return 1 }
        var settled = lowerPriority()
        var buffer = [UInt8](repeating: 0, count: KDFHelperMessage.maxRequestBytes)
        while true {
            // No idle timer here: the responder ends an idle helper (`KDFHelper.endIfIdle`).
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { return 0 }
            if received < 0 {
                if errno == EINTR { continue }
                return 1
            }
            // Many helpers starting at once can exhaust the kernel's rate
            // of autogroup changes: one more try before each derivation.
            if !settled { settled = setAutogroupNice() != EAGAIN }
            let reply = answer(buffer[0..<received])
            // Not kept in this buffer past its derivation (the copies the
            // decoding and OpenSSL made are freed, not wiped).
            buffer.withUnsafeMutableBytes { if let base = $0.baseAddress { _ = memset(base, 0, received) } }
            let bytes = KDFHelperMessage.encode(reply)
            guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return 1 }
        }
    }

    static func answer(_ request: ArraySlice<UInt8>) -> KDFHelperMessage.Reply {
        let started = threadCPUNanoseconds()
        guard let request = KDFHelperMessage.decodeRequest(request),
            let key = try? InThreadDeriver().derive(request.method, password: request.password, salt: request.salt)
        else { return .failed(cpuNanoseconds: threadCPUNanoseconds() &- started) }
        return .derived(key: key, cpuNanoseconds: threadCPUNanoseconds() &- started)
    }

    /// False while the kernel's rate limit (EAGAIN) kept the session's nice
    /// from being set; the thread's always is. Without CAP_SYS_ADMIN the
    /// kernel takes one autogroup change per 100 ms system-wide, and under a
    /// login flood every helper starts at once: each waits its turn (up to
    /// about 1 s) rather than run its first derivations level with nginx.
    private static func lowerPriority() -> Bool {
        _ = authgate_nice_this_thread(nice)
        var tries = 1
        var error = setAutogroupNice()
        while error == EAGAIN && tries < 10 {
            tries += 1
            usleep(110_000)
            error = setAutogroupNice()
        }
        return error != EAGAIN
    }

    /// 0, or the errno of the write.
    private static func setAutogroupNice() -> Int32 {
        let autogroup = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC)
        guard autogroup >= 0 else { return errno }
        let text = Array("\(nice)\n".utf8)
        let written = write(autogroup, text, text.count)
        let error = written == text.count ? 0 : written < 0 ? errno : EIO
        close(autogroup)
        return error
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
