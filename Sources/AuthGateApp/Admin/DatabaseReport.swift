import Logging
import AuthGateCore
import AuthGateStore

/// `authgate check-config`'s look at the database: does it answer, and
/// where does its schema stand. Lines never hold the password: the
/// location prints masked and libpq's messages do not carry it.
public struct DatabaseReport {
    public let lines: [String]
    /// False when the database cannot be reached (the command exits non-zero).
    public let reachable: Bool

    public static func check(_ config: Config, logger: Logger) -> DatabaseReport {
        let location = config.database
        do {
            let status = try location.schemaStatus(logger: logger)
            guard status.exists else {
                return DatabaseReport(lines: ["database: \(location) does not exist yet (`authgate migrate apply` or `authgate serve` creates it)"],
                                      reachable: true)
            }
            // The status read above is the round trip; ping as /healthz does.
            try location.open(echo: false, logger: logger).ping()
            return DatabaseReport(lines: ["database: reachable", "schema: " + describe(status)], reachable: true)
        } catch {
            return DatabaseReport(lines: ["database: unreachable: " + redacted("\(error)", location)], reachable: false)
        }
    }

    /// libpq quotes parts of a URI it cannot parse; should one of them be
    /// the password, it is masked here.
    static func redacted(_ message: String, _ location: DatabaseLocation) -> String {
        guard case .postgres(let uri) = location else { return message }
        var secrets: [Substring] = []
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        if let base = parts.first, let scheme = base.firstRange(of: "://") {
            let rest = base[scheme.upperBound...]
            if let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                secrets.append(rest[rest.index(after: colon)..<at])
            }
        }
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") where pair.hasPrefix("password=") {
                secrets.append(pair.dropFirst("password=".count))
            }
        }
        var out = message
        for secret in secrets where !secret.isEmpty {
            out = out.replacing(secret, with: "***")
            let decoded = percentDecoded(secret)
            if !decoded.isEmpty { out = out.replacing(decoded, with: "***") }
        }
        return out
    }

    /// `%XX` escapes decoded (malformed ones kept as they are).
    static func percentDecoded(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let byte = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(byte)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// "recorded version R, this build B: current" (or what to do).
    public static func describe(_ status: SchemaStatus) -> String {
        let head = "recorded version \(status.recorded), this build \(status.built)"
        if status.isCurrent { return head + ": current" }
        if !status.exists { return head + ": no database yet (`authgate migrate apply` creates it)" }
        return head + ": migration needed (`authgate migrate apply`, or `authgate serve` at start)"
    }
}
