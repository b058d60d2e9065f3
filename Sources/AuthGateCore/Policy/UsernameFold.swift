internal import CICU

/// The form two usernames share when people would read them as one name:
/// Unicode's NFKC_Casefold (ICU), which maps full-width and other
/// compatibility forms to their plain letters, folds case and drops
/// default-ignorable code points. `admin`, `ADMIN`, `Admin` and `ａｄｍｉｎ`
/// all fold to `admin`. It covers RFC 8265's UsernameCaseMapped mappings
/// (width mapping, lower case, NFC) and folds a little more (`ß` as `ss`),
/// which only refuses more look-alikes.
public enum UsernameFold {
    /// The folded form; nil only if ICU fails (its data missing), which
    /// callers treat as a server error, never as "no look-alike".
    public static func key(_ username: String) -> String? {
        var status = U_ZERO_ERROR
        guard let normalizer = authgate_nfkc_casefold(&status), authgate_icu_failed(status) == 0 else { return nil }
        let source = Array(username.utf16)
        guard let length = Int32(exactly: source.count) else { return nil }
        // Folding can lengthen a name (a ligature becomes letters): ask
        // again with the length ICU says it needs.
        var capacity = max(16, source.count * 2)
        for _ in 0..<2 {
            var output = [UInt16](repeating: 0, count: capacity)
            guard let limit = Int32(exactly: capacity) else { return nil }
            status = U_ZERO_ERROR
            let written = source.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dest in
                    authgate_normalize(normalizer, src.baseAddress, length, dest.baseAddress, limit, &status)
                }
            }
            if status == U_BUFFER_OVERFLOW_ERROR, written > limit {
                capacity = Int(written)
                continue
            }
            guard authgate_icu_failed(status) == 0, written >= 0, Int(written) <= capacity else { return nil }
            return String(decoding: output[..<Int(written)], as: UTF16.self)
        }
        return nil
    }
}
