internal import CSystem
import Glibc

/// `posix_spawn` as AuthGate starts its own processes (a responder under
/// the supervisor, a KDF helper): an empty signal mask, the given signals
/// back at their default action, and the file actions the caller adds.
/// Needs glibc 2.34 or later (`posix_spawn_file_actions_addclosefrom_np`).
enum ProcessSpawn {
    /// The new process's pid; throws the errno `posix_spawn` or a file
    /// action returned. `files` returns the results of the file actions it
    /// added (each 0 or an errno).
    static func start(
        _ executable: String, arguments: [String], environment: [String],
        defaultSignals: [Int32]?, newSession: Bool = false,
        files: (inout posix_spawn_file_actions_t) -> [Int32]
    ) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let failed = files(&actions).first(where: { $0 != 0 }) { throw SpawnError(errno: failed) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        if let defaultSignals {
            sigemptyset(&defaults)
            for sig in defaultSignals { sigaddset(&defaults, sig) }
        } else {
            sigfillset(&defaults)
        }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= authgate_spawn_setsid_flag }
        posix_spawnattr_setflags(&attributes, flags)
        var argv = arguments.map { strdup($0) } + [nil]
        var envp = environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard rc == 0 else { throw SpawnError(errno: rc) }
        return pid
    }

    struct SpawnError: Error {
        let errno: Int32
    }
}
