import Glibc

/// Signal handling of the responder. libfcgi's own SIGTERM handler only
/// sets a flag, so an idle process would ignore SIGTERM: instead the
/// termination signals are blocked in every thread and the main thread
/// waits for them with `sigwait`.
package enum Signals {
    /// Sent to a worker idle in a blocking read to interrupt it (EINTR).
    static let wake = SIGUSR2

    /// Blocks SIGTERM and SIGINT in this thread and every thread it starts
    /// from now on; installs the no-op wake handler without SA_RESTART and
    /// ignores SIGPIPE (nginx may close a connection mid-answer). SIGCHLD
    /// goes back to its default: inherited as ignored, the kernel would reap
    /// the KDF helpers itself and `KDFHelper` could signal a reused pid.
    package static func blockTermination() -> sigset_t {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGCHLD, SIG_DFL)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(wake, &action, nil)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        return set
    }

    /// Waits for one of `set`; returns its number.
    package static func wait(_ set: sigset_t) -> Int32 {
        var set = set
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
