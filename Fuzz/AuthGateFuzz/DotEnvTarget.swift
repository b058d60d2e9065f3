import AuthGateCore

/// The `.env` parser, then the configuration built from what it parsed, as
/// start-up does (hermetic: `*_FILE` and `CREDENTIALS_DIRECTORY`, which
/// would read files, are left out). Invariant: every key is a name, no
/// `=`, whitespace or `#` in it.
enum DotEnvTarget {
    static let forbiddenInKeys: Set<Character> = ["=", " ", "\t", "\n", "\r", "#"]

    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let values = DotEnv.parse(text) { $0 == "HOME" ? "/home/fuzz" : nil }
        for key in values.keys where key.isEmpty || key.contains(where: forbiddenInKeys.contains) {
            FuzzCheck.fail("DotEnv produced the key \(key.debugDescription)", input)
        }
        let hermetic = values.filter { !$0.key.hasSuffix("_FILE") && $0.key != "CREDENTIALS_DIRECTORY" }
        blackHole(try? Config.load(environment: [:], dotEnv: hermetic, workingDirectory: "/nonexistent"))
    }
}
