internal import COpenSSL

public enum Crypto {
    static func fail(_ name: String) -> OpenSSLError { .call(name, ERR_get_error()) }

    /// `count` bytes from OpenSSL's CSPRNG.
    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard ok == 1 else { throw fail("RAND_bytes") }
        return out
    }

    /// Constant-time equality; unequal lengths are unequal (lengths are public).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    package enum Digest: Sendable {
        // SHA-1 only for HOTP/TOTP (RFC 4226, RFC 6238), whose authenticator apps all use
        // HMAC-SHA1; HMAC-SHA1 stays sound where SHA-1's collisions do not reach.
        case sha1, sha256, sha384, sha512
        var md: OpaquePointer? {
            switch self {
            case .sha1: return EVP_sha1()
            case .sha256: return EVP_sha256()
            case .sha384: return EVP_sha384()
            case .sha512: return EVP_sha512()
            }
        }
    }

    /// HMAC of `data` under `key` (RFC 2104), through OpenSSL's one-shot `HMAC`.
    package static func hmac(_ digest: Digest, key: [UInt8], data: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(
                        digest.md, k.baseAddress, Int32(k.count),
                        d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, o.baseAddress, &length)
                }
            }
        }
        guard result != nil else { throw fail("HMAC") }
        return Array(out.prefix(Int(length)))
    }

    /// PBKDF2-HMAC (RFC 8018), as Python's `hashlib.pbkdf2_hmac`.
    static func pbkdf2(_ digest: Digest, password: [UInt8], salt: [UInt8], iterations: Int, length: Int) throws
        -> [UInt8]
    {
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBytes { p in
            salt.withUnsafeBytes { s in
                out.withUnsafeMutableBufferPointer { o in
                    PKCS5_PBKDF2_HMAC(
                        p.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(p.count),
                        s.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(s.count),
                        Int32(iterations), digest.md, Int32(length), o.baseAddress)
                }
            }
        }
        guard ok == 1 else { throw fail("PKCS5_PBKDF2_HMAC") }
        return out
    }

    /// scrypt (RFC 7914), as Python's `hashlib.scrypt`. `maxmem` (bytes)
    /// is always explicit: OpenSSL's 32 MiB default refuses N=32768, r=8.
    static func scrypt(
        password: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, maxmem: UInt64,
        length: Int
    ) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBytes { pw in
            salt.withUnsafeBytes { s in
                out.withUnsafeMutableBufferPointer { o in
                    EVP_PBE_scrypt(
                        pw.baseAddress?.assumingMemoryBound(to: CChar.self), pw.count,
                        s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                        n, r, p, maxmem, o.baseAddress, length)
                }
            }
        }
        guard ok == 1 else { throw fail("EVP_PBE_scrypt") }
        return out
    }
}

extension Crypto {
    /// SHA-256 of `data` (RFC 7638 thumbprints, long throttle keys).
    public static func sha256(_ data: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &out, &length, EVP_sha256(), nil) == 1 else { throw fail("EVP_Digest") }
        return Array(out.prefix(Int(length)))
    }
}
