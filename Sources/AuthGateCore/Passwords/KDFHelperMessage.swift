/// The two messages between a KDF thread and its helper process, one
/// `SOCK_SEQPACKET` datagram each way. A request names the method as
/// Werkzeug writes it (`scrypt:32768:8:1`), so the helper parses and bounds
/// it with `HashMethod`'s own rules.
///
/// Request: method length (u16), method, password length (u32), password,
/// salt (the rest). Reply: status (u8: 0 derived, 1 failed), CPU the
/// derivation used (u64 nanoseconds), then the key. Integers little-endian.
public enum KDFHelperMessage {
    /// Larger requests (a password of hundreds of KiB) are derived in the
    /// calling thread: the socket buffers are sized for this.
    public static let maxRequestBytes = 256 * 1024
    /// Status, CPU time and the longest key (scrypt's and PBKDF2-SHA512's 64 bytes).
    public static let maxReplyBytes = 1 + 8 + 64

    public struct Request: Equatable, Sendable {
        public let method: HashMethod
        public let password: [UInt8]
        public let salt: [UInt8]

        public init(method: HashMethod, password: [UInt8], salt: [UInt8]) {
            self.method = method
            self.password = password
            self.salt = salt
        }
    }

    public enum Reply: Equatable, Sendable {
        case derived(key: [UInt8], cpuNanoseconds: UInt64)
        case failed(cpuNanoseconds: UInt64)

        public var cpuNanoseconds: UInt64 {
            switch self {
            case .derived(_, let cpu), .failed(let cpu): return cpu
            }
        }
    }

    /// The request's bytes; nil when it is larger than `maxRequestBytes`.
    public static func encode(_ request: Request) -> [UInt8]? {
        let method = Array(request.method.description.utf8)
        let size = 2 + method.count + 4 + request.password.count + request.salt.count
        guard size <= maxRequestBytes else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        append(UInt64(method.count), width: 2, to: &bytes)
        bytes += method
        append(UInt64(request.password.count), width: 4, to: &bytes)
        bytes += request.password
        bytes += request.salt
        return bytes
    }

    /// The request in `bytes`; nil for anything malformed or a method
    /// `HashMethod` refuses.
    public static func decodeRequest(_ bytes: ArraySlice<UInt8>) -> Request? {
        var rest = bytes
        guard let methodLength = take(width: 2, from: &rest), methodLength <= rest.count else { return nil }
        let methodBytes = rest.prefix(Int(methodLength))
        rest = rest.dropFirst(Int(methodLength))
        guard let methodText = String(validating: methodBytes, as: UTF8.self), let method = HashMethod(methodText),
            method.description == methodText,
            let passwordLength = take(width: 4, from: &rest), passwordLength <= rest.count
        else { return nil }
        let password = Array(rest.prefix(Int(passwordLength)))
        return Request(method: method, password: password, salt: Array(rest.dropFirst(Int(passwordLength))))
    }

    public static func encode(_ reply: Reply) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maxReplyBytes)
        switch reply {
        case .derived(let key, let cpu):
            precondition(key.count <= maxReplyBytes - 9, "no Werkzeug method derives a key over 64 bytes")
            bytes.append(0)
            append(cpu, width: 8, to: &bytes)
            bytes += key
        case .failed(let cpu):
            bytes.append(1)
            append(cpu, width: 8, to: &bytes)
        }
        return bytes
    }

    public static func decodeReply(_ bytes: ArraySlice<UInt8>) -> Reply? {
        var rest = bytes
        guard let status = rest.popFirst(), let cpu = take(width: 8, from: &rest) else { return nil }
        switch status {
        case 0: return rest.isEmpty ? nil : .derived(key: Array(rest), cpuNanoseconds: cpu)
        case 1: return rest.isEmpty ? .failed(cpuNanoseconds: cpu) : nil
        default: return nil
        }
    }

    private static func append(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    private static func take(width: Int, from bytes: inout ArraySlice<UInt8>) -> UInt64? {
        guard bytes.count >= width else { return nil }
        var value: UInt64 = 0
        for (i, byte) in bytes.prefix(width).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        bytes = bytes.dropFirst(width)
        return value
    }
}
