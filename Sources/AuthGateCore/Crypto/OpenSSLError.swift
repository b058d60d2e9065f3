internal import COpenSSL

/// Thin, throwing wrappers over the libcrypto calls AuthGate uses.
public enum OpenSSLError: Error, CustomStringConvertible {
    case call(String, UInt)
    public var description: String { "\(self.callName) failed (OpenSSL error \(self.code))" }
    var callName: String { if case .call(let n, _) = self { return n }; return "" }
    var code: UInt { if case .call(_, let c) = self { return c }; return 0 }
}
