import Logging
import AuthGateCore
import AuthGateStore

/// `authgate check-config`'s look at the database: does it answer, and
/// where does its schema stand. Lines never hold the password: the
/// location prints masked and libpq's messages are redacted
/// (`DatabaseURIRedactor`).
public struct DatabaseReport {
    public let lines: [String]
    /// False when the database cannot be reached (the command exits non-zero).
    public let reachable: Bool

    public static func check(_ config: Config, logger: Logger) -> DatabaseReport {
        let location = config.database
        do {
            let status = try location.schemaStatus(logger: logger)
            guard status.exists else {
                return DatabaseReport(
                    lines: [
                        "database: \(location) does not exist yet (`authgate migrate apply` or `authgate serve` creates it)"
                    ],
                    reachable: true)
            }
            // The status read above is the round trip; ping as /healthz does.
            let store = try location.open(echo: false, logger: logger)
            try store.ping()
            var lines = ["database: reachable", "schema: " + describe(status)]
            // Only a current schema surely has the users table; a failure
            // here is the report's, not the database's reachability.
            if status.isCurrent {
                do {
                    lines.append(
                        describe(lookAlikes: lookAlikes(try store.allUsernames()), policy: config.usernamePolicy))
                } catch {
                    lines.append("usernames: not read: " + location.redacting("\(error)"))
                }
            }
            return DatabaseReport(lines: lines, reachable: true)
        } catch {
            // Messages from the connection are redacted already; this also
            // covers any other path an error takes (one redaction, in Core).
            return DatabaseReport(lines: ["database: unreachable: " + location.redacting("\(error)")], reachable: false)
        }
    }

    /// "recorded version R, this build B: current" (or what to do).
    public static func describe(_ status: SchemaStatus) -> String {
        let head = "recorded version \(status.recorded), this build \(status.built)"
        if status.isCurrent { return head + ": current" }
        if !status.exists { return head + ": no database yet (`authgate migrate apply` creates it)" }
        return head + ": migration needed (`authgate migrate apply`, or `authgate serve` at start)"
    }

    /// Groups of two or more usernames that share a `UsernameFold` key, in
    /// name order: accounts people could take for one another.
    static func lookAlikes(_ usernames: [String]) -> [[String]] {
        var byKey: [[UInt8]: [String]] = [:]
        for name in usernames {
            byKey[Array((UsernameFold.key(name) ?? name).utf8), default: []].append(name)
        }
        return byKey.values.filter { $0.count > 1 }
            .map { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
            .sorted { $0[0].utf8.lexicographicallyPrecedes($1[0].utf8) }
    }

    /// One line: none found, or the first groups (names escaped as in JSON
    /// strings, so a hostile name cannot forge a line of the report).
    static func describe(lookAlikes groups: [[String]], policy: UsernamePolicy) -> String {
        guard !groups.isEmpty else { return "usernames: no look-alikes (policy \(policy.rawValue))" }
        let shown = groups.prefix(20).map { group in
            group.map { name in
                var out: [UInt8] = []
                JSONWriter.write(.string(name), into: &out)
                return String(decoding: out, as: UTF8.self)
            }.joined(separator: " ")
        }
        let more = groups.count > shown.count ? "; and \(groups.count - shown.count) more" : ""
        return "usernames: \(groups.count) group(s) of look-alikes, left as they are (policy \(policy.rawValue): "
            + (policy == .caseless
                ? "no new look-alike can register" : "AUTHGATE_USERNAME_POLICY=caseless refuses new ones")
            + "): " + shown.joined(separator: "; ") + more
    }
}
