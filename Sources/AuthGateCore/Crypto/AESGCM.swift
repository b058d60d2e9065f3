internal import COpenSSL

extension Crypto {
    /// AES-256-GCM (NIST SP 800-38D) through OpenSSL's EVP interface. It lives
    /// here because `Crypto/` is the only code that sees `COpenSSL`;
    /// `MFASecretBox` decides the framing, this only encrypts.
    package enum AESGCM {
        package static let keyBytes = 32
        /// 96 bits: GCM's native IV length (OpenSSL's default), no GHASH of the IV.
        package static let nonceBytes = 12
        /// The full 128-bit tag; shorter tags weaken the forgery bound.
        package static let tagBytes = 16

        /// Encrypts `plaintext` and authenticates it together with `aad`.
        package static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws
            -> (ciphertext: [UInt8], tag: [UInt8])
        {
            guard key.count == keyBytes, nonce.count == nonceBytes, plaintext.count < Int(Int32.max),
                aad.count < Int(Int32.max)
            else { throw fail("AES-256-GCM (key, nonce or input size)") }
            guard let ctx = EVP_CIPHER_CTX_new() else { throw fail("EVP_CIPHER_CTX_new") }
            defer { EVP_CIPHER_CTX_free(ctx) }
            guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else {
                throw fail("EVP_EncryptInit_ex")
            }
            var length: Int32 = 0
            // A null output pointer makes the update feed additional authenticated data.
            if !aad.isEmpty {
                guard EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else {
                    throw fail("EVP_EncryptUpdate")
                }
            }
            // GCM is a stream mode: the ciphertext is as long as the plaintext.
            var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagBytes)
            var written = 0
            if !plaintext.isEmpty {
                guard EVP_EncryptUpdate(ctx, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1 else {
                    throw fail("EVP_EncryptUpdate")
                }
                written = Int(length)
            }
            let final = ciphertext.withUnsafeMutableBufferPointer { out in
                EVP_EncryptFinal_ex(ctx, out.baseAddress.map { $0 + written }, &length)
            }
            guard final == 1 else { throw fail("EVP_EncryptFinal_ex") }
            written += Int(length)
            var tag = [UInt8](repeating: 0, count: tagBytes)
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, Int32(tagBytes), &tag) == 1 else {
                throw fail("EVP_CIPHER_CTX_ctrl")
            }
            return (Array(ciphertext.prefix(written)), tag)
        }

        /// The plaintext, or nil when the tag does not authenticate `ciphertext`
        /// and `aad` under `key` (or any input has the wrong size). Nothing
        /// decrypted is returned before the tag has been checked.
        package static func open(ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8])
            -> [UInt8]?
        {
            guard key.count == keyBytes, nonce.count == nonceBytes, tag.count == tagBytes,
                ciphertext.count < Int(Int32.max), aad.count < Int(Int32.max)
            else { return nil }
            // A refused tag leaves entries on OpenSSL's thread-local error queue;
            // clear them so a later, unrelated failure reports its own code.
            defer { ERR_clear_error() }
            guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
            defer { EVP_CIPHER_CTX_free(ctx) }
            guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { return nil }
            var length: Int32 = 0
            if !aad.isEmpty {
                guard EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { return nil }
            }
            var plaintext = [UInt8](repeating: 0, count: ciphertext.count + tagBytes)
            var written = 0
            if !ciphertext.isEmpty {
                guard EVP_DecryptUpdate(ctx, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else {
                    return nil
                }
                written = Int(length)
            }
            var expected = tag
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(tagBytes), &expected) == 1 else {
                return nil
            }
            // The tag is checked here; on a mismatch the decrypted bytes are discarded.
            let final = plaintext.withUnsafeMutableBufferPointer { out in
                EVP_DecryptFinal_ex(ctx, out.baseAddress.map { $0 + written }, &length)
            }
            guard final == 1 else { return nil }
            written += Int(length)
            return Array(plaintext.prefix(written))
        }
    }
}
