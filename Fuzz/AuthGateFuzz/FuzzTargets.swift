/// Every fuzz target by name: the name is also its corpus folder
/// (Fuzz/corpus/<name>) and its dictionary (Fuzz/dict/<name>.dict).
/// A target returns on any input; a crash, a trap or a broken invariant
/// (`FuzzCheck.fail`) is a finding.
enum FuzzTargets {
    typealias Run = @Sendable ([UInt8]) -> Void

    static let all: [(name: String, run: Run)] = [
        ("json", JSONTarget.run),
        ("jwt", JWTTarget.run),
        ("query", QueryTarget.run),
        ("dotenv", DotEnvTarget.run),
        ("werkzeug", WerkzeugTarget.run),
        ("fcgi", FCGITarget.run),
        ("webauthn", WebAuthnTarget.run)
    ]

    static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.run) })

    /// Names the target to the copies of the program libFuzzer starts.
    static let environmentVariable = "AUTHGATE_FUZZ_TARGET"

    /// The target libFuzzer calls; set once, before the fuzzer starts.
    nonisolated(unsafe) static var selected: Run = { _ in }
}

/// A broken invariant: a crash, with the reason, so libFuzzer keeps the input.
enum FuzzCheck {
    static func fail(_ reason: String, _ input: [UInt8]) -> Never {
        fatalError("fuzz invariant broken: \(reason) (input \(input.count) bytes)")
    }
}
