import Glibc
import Logging
import AuthGateCore

/// Keeps a process's `ReadCache` true to the database: LISTENs on one
/// connection of its own to the NOTIFY messages that triggers send for
/// every change to `users` (any writer, Flask included) and every new
/// revocation. The cache is on only while that connection provably works:
/// a heartbeat must be answered within `answerDeadline`, so a lost or
/// half-open connection turns the cache off within about three seconds.
package final class ChangeListener: Sendable {
    static let usersChannel = "authgate_users"
    static let revocationsChannel = "authgate_revocations"
    static let usersTrigger = "authgate_users_changed"
    static let revocationsTrigger = "authgate_revocation_added"

    /// A `SELECT 1` this often...
    static let heartbeatInterval = 1.0
    /// ...must be answered this soon, as must LISTEN and the trigger check.
    static let answerDeadline = 2.0
    /// Reading every live revocation may take longer on a big table.
    static let snapshotDeadline = 10.0
    static let reconnectPause = 0.5
    /// How often the triggers are looked for again while they are missing.
    static let missingTriggersPause = 5.0

    /// Functions created by the migration: one notification per statement
    /// that changes users, one per revoked token ("jti expires-epoch").
    static let functionsSQL = """
        CREATE OR REPLACE FUNCTION authgate_notify_users() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('\(usersChannel)', ''); RETURN NULL; END $$;
        CREATE OR REPLACE FUNCTION authgate_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(revocationsChannel)', NEW.jti || ' ' || extract(epoch FROM NEW.expires_at)::text);
            RETURN NULL;
        END $$;
        """
    static let usersTriggerSQL = """
        CREATE TRIGGER \(usersTrigger) AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
            FOR EACH STATEMENT EXECUTE FUNCTION authgate_notify_users()
        """
    static let revocationsTriggerSQL = """
        CREATE TRIGGER \(revocationsTrigger) AFTER INSERT ON token_blocklist
            FOR EACH ROW EXECUTE FUNCTION authgate_notify_revocation()
        """

    /// Names of AuthGate's triggers present on the tables they belong to,
    /// with whether each fires ('D' is disabled). Catalogue reads only: no
    /// lock on the tables.
    static let triggersSQL = """
        SELECT tgname, tgenabled <> 'D' FROM pg_trigger WHERE NOT tgisinternal AND (
            (tgname = '\(usersTrigger)' AND tgrelid = to_regclass('users'))
            OR (tgname = '\(revocationsTrigger)' AND tgrelid = to_regclass('token_blocklist')))
        """

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
                try db.query(unsafeSQL: "LISTEN \(Self.usersChannel); LISTEN \(Self.revocationsChannel)",
                             timeout: Self.answerDeadline)
                // Without both triggers firing, changes would go unnoticed.
                let firing = try db.query(unsafeSQL: Self.triggersSQL, timeout: Self.answerDeadline)
                    .filter { try $0.bool(at: 1) }.count
                guard firing == 2 else {
                    if !warnedMissingTriggers {
                        logger.warning("read cache stays off: its triggers on users and token_blocklist are missing or disabled; every read goes to the database (a restart of AuthGate recreates missing ones)")
                        warnedMissingTriggers = true
                    }
                    pause(Self.missingTriggersPause, until: stopping)
                    continue
                }
                warnedMissingTriggers = false
                // Read after LISTEN: a revocation in between arrives as a
                // notification too. Every row: the purge keeps them only
                // while their token can still be accepted (exp + leeway).
                let rows = try db.query(unsafeSQL: """
                    SELECT jti, extract(epoch FROM expires_at)::float8 FROM token_blocklist
                    """, timeout: Self.snapshotDeadline)
                var revoked: [[UInt8]: Double] = [:]
                for row in rows { revoked[Array(try row.string(at: 0).utf8)] = try row.double(at: 1) }
                cache.enable(revoked: revoked)
                logger.info("read cache on", metadata: ["revocations": "\(revoked.count)"])
                try follow(db, until: stopping)
            } catch {
                if cache.isEnabled { logger.warning("read cache off: listener lost", metadata: ["error": "\(error)"]) }
                cache.disable()
                pause(Self.reconnectPause, until: stopping)
            }
        }
    }

    /// Applies notifications as they come and proves the connection alive
    /// every `heartbeatInterval`; throws (cache off) when it is not.
    private func follow(_ db: PGConnection, until stopping: StopFlag) throws {
        var nextBeat = monotonicSeconds() + Self.heartbeatInterval
        while !stopping.isSet {
            let wait = min(0.2, max(0, nextBeat - monotonicSeconds()))
            for note in try db.notifications(timeoutMilliseconds: Int32(wait * 1000)) { apply(note) }
            if monotonicSeconds() >= nextBeat {
                try db.query(unsafeSQL: "SELECT 1", timeout: Self.answerDeadline)
                nextBeat = monotonicSeconds() + Self.heartbeatInterval
            }
        }
    }

    private func pause(_ seconds: Double, until stopping: StopFlag) {
        let end = monotonicSeconds() + seconds
        while !stopping.isSet && monotonicSeconds() < end { usleep(100_000) }
    }

    private func apply(_ note: (channel: String, payload: String)) {
        if note.channel == Self.usersChannel {
            cache.usersChanged()
        } else if note.channel == Self.revocationsChannel, let space = note.payload.lastIndex(of: " ") {
            let expires = Double(note.payload[note.payload.index(after: space)...]) ?? .infinity
            cache.revoked(jti: String(note.payload[..<space]), expiresAt: expires)
        }
    }
}
