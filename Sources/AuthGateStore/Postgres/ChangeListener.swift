import Glibc
import Logging
import AuthGateCore

/// Keeps a process's `ReadCache` true to the database: LISTENs on one
/// connection of its own to the NOTIFY messages that triggers send for
/// every change to `users` (any writer, Flask included), every new
/// revocation and every change of group membership. The cache is on only while that connection provably works:
/// a heartbeat must be answered within `answerDeadline`, so a lost or
/// half-open connection turns the cache off within about three seconds.
package final class ChangeListener: Sendable {
    /// A `SELECT 1` this often...
    static let heartbeatInterval = 1.0
    /// ...must be answered this soon, as must LISTEN and the trigger check.
    static let answerDeadline = 2.0
    /// Reading every live revocation may take longer on a big table.
    static let snapshotDeadline = 10.0
    static let reconnectPause = 0.5
    /// How often the triggers are looked for again while they are missing.
    static let missingTriggersPause = 5.0

    let uri: String
    let cache: ReadCache
    let logger: Logger

    package init(uri: String, cache: ReadCache, logger: Logger) {
        self.uri = uri
        self.cache = cache
        self.logger = logger
    }

    package func run(until stopping: StopFlag) {
        defer { cache.disable() }
        var warnedMissingTriggers = false
        var connections = 0
        while !stopping.isSet {
            if connections > 0 { StoreMetrics.listenerReconnects.increment() }
            connections += 1
            let db = PGConnection(uri: uri, profile: .listener, echo: false, logger: logger)
            do {
                try db.query(
                    unsafeSQL: """
                        LISTEN \(PostgresSchema.usersChannel); LISTEN \(PostgresSchema.revocationsChannel);
                        LISTEN \(PostgresSchema.userRevocationsChannel); LISTEN \(PostgresSchema.familiesChannel);
                        LISTEN \(PostgresSchema.groupsChannel)
                        """, timeout: Self.answerDeadline)
                // Without both triggers firing, changes would go unnoticed.
                let firing = try db.query(unsafeSQL: PostgresSchema.triggersSQL, timeout: Self.answerDeadline)
                    .filter { try $0.bool(at: 1) }.count
                guard firing == PostgresSchema.triggerCount else {
                    if !warnedMissingTriggers {
                        logger.warning(
                            "read cache stays off: its triggers on users, token_blocklist, authgate_user_revocations, authgate_refresh_families or authgate_user_groups are missing or disabled; every read goes to the database (a restart of AuthGate recreates missing ones)"
                        )
                        warnedMissingTriggers = true
                    }
                    stopping.wait(upTo: Self.missingTriggersPause)
                    continue
                }
                warnedMissingTriggers = false
                // Read after LISTEN: a revocation in between arrives as a
                // notification too. Every row: the purge keeps them only
                // while their token can still be accepted (exp + leeway).
                let rows = try db.query(
                    unsafeSQL: """
                        SELECT jti, extract(epoch FROM expires_at)::float8 FROM token_blocklist
                        """, timeout: Self.snapshotDeadline)
                var revoked: [[UInt8]: Double] = [:]
                for row in rows { revoked[Array(try row.string(at: 0).utf8)] = try row.double(at: 1) }
                let families = try db.query(
                    unsafeSQL: """
                        SELECT family, extract(epoch FROM expires_at)::float8 FROM authgate_refresh_families
                        """, timeout: Self.snapshotDeadline)
                var revokedFamilies: [[UInt8]: Double] = [:]
                for row in families { revokedFamilies[Array(try row.string(at: 0).utf8)] = try row.double(at: 1) }
                cache.enable(revoked: revoked, notBefore: try userNotBefores(db), revokedFamilies: revokedFamilies)
                logger.info(
                    "read cache on",
                    metadata: [
                        "revocations": "\(revoked.count)",
                        "revoked_families": "\(revokedFamilies.count)"
                    ])
                try follow(db, until: stopping)
            } catch {
                if cache.isEnabled { logger.warning("read cache off: listener lost", metadata: ["error": "\(error)"]) }
                cache.disable()
                stopping.wait(upTo: Self.reconnectPause)
            }
        }
    }

    /// Applies notifications as they come and proves the connection alive
    /// every `heartbeatInterval`; throws (cache off) when it is not.
    private func follow(_ db: PGConnection, until stopping: StopFlag) throws {
        var nextBeat = Clock.monotonic() + Self.heartbeatInterval
        while !stopping.isSet {
            let wait = min(0.2, max(0, nextBeat - Clock.monotonic()))
            let notes = try db.notifications(timeoutMilliseconds: Int32(wait * 1000))
            for note in notes { apply(note) }
            if notes.contains(where: { $0.channel == PostgresSchema.userRevocationsChannel }) {
                cache.replaceNotBefore(try userNotBefores(db))
            }
            if Clock.monotonic() >= nextBeat {
                try db.query(unsafeSQL: "SELECT 1", timeout: Self.answerDeadline)
                nextBeat = Clock.monotonic() + Self.heartbeatInterval
            }
        }
    }

    /// Every user's not-before (one row per user ever revoked).
    private func userNotBefores(_ db: PGConnection) throws -> [[UInt8]: Int64] {
        var result: [[UInt8]: Int64] = [:]
        for row in try db.query(
            unsafeSQL: "SELECT username, not_before FROM authgate_user_revocations",
            timeout: Self.snapshotDeadline)
        {
            result[Array(try row.string(at: 0).utf8)] = Int64(try row.int(at: 1))
        }
        return result
    }

    private func apply(_ note: (channel: String, payload: String)) {
        if note.channel == PostgresSchema.usersChannel {
            cache.usersChanged()
        } else if note.channel == PostgresSchema.groupsChannel {
            cache.groupsChanged()
        } else if note.channel == PostgresSchema.revocationsChannel, let space = note.payload.lastIndex(of: " ") {
            let expires = Double(note.payload[note.payload.index(after: space)...]) ?? .infinity
            cache.revoked(jti: String(note.payload[..<space]), expiresAt: expires)
        } else if note.channel == PostgresSchema.familiesChannel, let space = note.payload.lastIndex(of: " ") {
            let expires = Double(note.payload[note.payload.index(after: space)...]) ?? .infinity
            cache.familyRevoked(String(note.payload[..<space]), expiresAt: expires)
        }
    }
}
