internal import CScryptArena
import Glibc
import Synchronization

/// Hashes and checks passwords. How many derivations run at once is set
/// by the caller: the responder runs them only on its KDF pool, one thread
/// per usable core (scrypt is CPU-bound and takes 32 MiB, so more at once
/// buy no throughput, only memory).
public final class PasswordService: Sendable {
    public let method: HashMethod
    /// A hash of a random password with the configured method. Logins for
    /// an unknown user check against it, so they cost what a real one does.
    private let decoyHash: String
    /// Seconds one derivation with `method` took at start-up: the first
    /// guess of what a queued login costs.
    public let derivationSeconds: Double

    public init(method: HashMethod) throws {
        self.method = method
        let started = Clock.monotonic()
        self.decoyHash = try WerkzeugHash.make(password: UUID4.make(), method: method)
        self.derivationSeconds = Clock.monotonic() - started
        authgate_scrypt_arena_trim()  // start at resting size
    }

    /// Derivations running now, and when the last one ended (seconds).
    private let running = Atomic<Int>(0)
    private let lastEnded = Atomic<Int64>(0)

    private func counted<T>(_ body: () throws -> T) rethrows -> T {
        running.add(1, ordering: .relaxed)
        defer {
            lastEnded.store(Int64(Clock.system.now()), ordering: .relaxed)
            running.subtract(1, ordering: .relaxed)
        }
        return try body()
    }

    /// Installs the allocator hook that keeps scrypt buffers between
    /// hashes. Must run before any other OpenSSL call in the process.
    public static func keepKDFBuffers() -> Bool { authgate_scrypt_arena_install() == 1 }

    /// Gives kept KDF buffers back once no hash ran for `idleSeconds`, so an
    /// idle process shrinks back to its resting size.
    public func releaseIdleBuffers(idleSeconds: Int64 = 10) {
        guard running.load(ordering: .relaxed) == 0,
            Int64(Clock.system.now()) - lastEnded.load(ordering: .relaxed) >= idleSeconds,
            authgate_scrypt_arena_bytes() > 0
        else { return }
        authgate_scrypt_arena_trim()
    }

    public func hash(_ password: String, using deriver: any KeyDeriver = InThreadDeriver()) throws -> String {
        try counted { try WerkzeugHash.make(password: password, method: method, using: deriver) }
    }

    /// True only for a readable hash that matches. A missing user or an
    /// unreadable hash still costs one full derivation.
    public func verify(
        _ password: String, against stored: String?, using deriver: any KeyDeriver = InThreadDeriver()
    ) -> WerkzeugHash.Verification {
        counted {
            guard let stored else {
                _ = WerkzeugHash.verify(password: password, against: decoyHash, using: deriver)
                return .mismatch
            }
            let result = WerkzeugHash.verify(password: password, against: stored, using: deriver)
            if result == .unreadable {
                _ = WerkzeugHash.verify(password: password, against: decoyHash, using: deriver)
            }
            return result
        }
    }
}
