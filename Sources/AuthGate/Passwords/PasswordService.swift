import Dispatch
import Glibc

/// Hashes and checks passwords, running at most one key derivation per
/// core at a time: scrypt is CPU-bound and takes 32 MiB, so more at once
/// buy no throughput, only memory.
public final class PasswordService: Sendable {
    public let method: HashMethod
    private let slots: DispatchSemaphore
    /// A hash of a random password with the configured method. Logins for
    /// an unknown user check against it, so they cost what a real one does.
    private let decoyHash: String

    public init(method: HashMethod, concurrentDerivations: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) throws {
        self.method = method
        self.slots = DispatchSemaphore(value: concurrentDerivations)
        self.decoyHash = try WerkzeugHash.make(password: UUID4.make(), method: method)
    }

    private func withSlot<T>(_ body: () throws -> T) rethrows -> T {
        slots.wait()
        defer { slots.signal() }
        return try body()
    }

    public func hash(_ password: String) throws -> String {
        try withSlot { try WerkzeugHash.make(password: password, method: method) }
    }

    /// True only for a readable hash that matches. A missing user or an
    /// unreadable hash still costs one full derivation.
    public func verify(_ password: String, against stored: String?) -> WerkzeugHash.Verification {
        withSlot {
            guard let stored else {
                _ = WerkzeugHash.verify(password: password, against: decoyHash)
                return .mismatch
            }
            let result = WerkzeugHash.verify(password: password, against: stored)
            if result == .unreadable { _ = WerkzeugHash.verify(password: password, against: decoyHash) }
            return result
        }
    }
}
