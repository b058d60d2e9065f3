internal import COpenSSL

/// ECDSA signatures between OpenSSL's DER form and JWS's raw `r || s`
/// (RFC 7518 §3.4: each half left-padded to the curve's size, 32 bytes
/// for P-256). A JWS with a DER signature is not an ES256 token.
enum ECDSASignature {
    static let p256HalfBytes = 32

    /// DER `ECDSA-Sig-Value` to raw `r || s`.
    static func raw(fromDER der: [UInt8], half: Int = p256HalfBytes) -> [UInt8]? {
        der.withUnsafeBufferPointer { buffer -> [UInt8]? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let sig = d2i_ECDSA_SIG(nil, &cursor, buffer.count) else { ERR_clear_error(); return nil }
            defer { ECDSA_SIG_free(sig) }
            var r: OpaquePointer?, s: OpaquePointer?
            ECDSA_SIG_get0(sig, &r, &s)
            var out = [UInt8](repeating: 0, count: 2 * half)
            let ok = out.withUnsafeMutableBufferPointer { o -> Bool in
                guard let base = o.baseAddress else { return false }
                return BN_bn2binpad(r, base, Int32(half)) == Int32(half)
                    && BN_bn2binpad(s, base + half, Int32(half)) == Int32(half)
            }
            return ok ? out : nil
        }
    }

    /// Raw `r || s` (exactly `2 * half` bytes) to DER; nil for any other length.
    static func der(fromRaw raw: [UInt8], half: Int = p256HalfBytes) -> [UInt8]? {
        guard raw.count == 2 * half, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let (r, s) = raw.withUnsafeBufferPointer { b in
            (BN_bin2bn(b.baseAddress, Int32(half), nil), BN_bin2bn(b.baseAddress.map { $0 + half }, Int32(half), nil))
        }
        guard let r, let s else { BN_free(r); BN_free(s); return nil }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else { BN_free(r); BN_free(s); return nil }  // sig owns them on success
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { o -> Int32 in
            var cursor = o.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        return written == length ? out : nil
    }
}
