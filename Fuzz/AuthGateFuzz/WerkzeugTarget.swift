import AuthGateCore

/// The Werkzeug hash-string parser: `METHOD$SALT$HEX` and the method
/// grammar (`scrypt:N:r:p`, `pbkdf2:DIGEST:ITERATIONS`). The key
/// derivation runs only where the cost is tiny (a fuzzed cost would
/// measure the KDF, not the parser). Invariants: a parsed method prints
/// as text that parses to the same method; a readable hash is never
/// `.unreadable` once checked.
enum WerkzeugTarget {
    static let password = "123456"

    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        if let method = HashMethod(text) { checkRoundTrip(method, input) }
        guard let method = WerkzeugHash.method(of: text) else {
            // Unreadable before any key derivation: cheap whatever the text.
            if WerkzeugHash.verify(password: password, against: text) != .unreadable {
                FuzzCheck.fail("a hash without a readable method verified", input)
            }
            return
        }
        checkRoundTrip(method, input)
        blackHole(method.isWeaker(than: .default))
        blackHole(method.isWeaker(than: .pbkdf2(.sha256, iterations: HashMethod.defaultPBKDF2Iterations)))
        if isCheap(method), WerkzeugHash.verify(password: password, against: text) == .unreadable {
            FuzzCheck.fail("a hash with a readable method was unreadable", input)
        }
    }

    static func checkRoundTrip(_ method: HashMethod, _ input: [UInt8]) {
        guard HashMethod(method.description) == method else {
            FuzzCheck.fail("\(method) does not parse back to itself", input)
        }
    }

    /// At most 64 PBKDF2 iterations, or scrypt buffers of at most 64 KiB.
    static func isCheap(_ method: HashMethod) -> Bool {
        switch method {
        case .pbkdf2(_, let iterations): return iterations <= 64
        case .scrypt(let n, let r, let p): return 128 * r * (n + 2 + p) <= 64 * 1024
        }
    }
}
