/// Where a password's key derivation runs. The responder's KDF threads
/// hand theirs to a helper process (`KDFHelper`) that the kernel schedules
/// behind nginx and the workers; everything else derives on the calling
/// thread.
public protocol KeyDeriver: Sendable {
    func derive(_ method: HashMethod, password: [UInt8], salt: [UInt8]) throws -> [UInt8]
}

/// Derives on the calling thread.
public struct InThreadDeriver: KeyDeriver {
    public init() {}

    public func derive(_ method: HashMethod, password: [UInt8], salt: [UInt8]) throws -> [UInt8] {
        try method.derive(password: password, salt: salt)
    }
}
