internal import COpenSSL

extension Crypto {
    /// SHA-256 of `data`, through OpenSSL's one-shot `EVP_Digest`.
    static func sha256(_ data: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { d in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        guard ok == 1 else { throw fail("EVP_Digest") }
        return Array(out.prefix(Int(length)))
    }
}
