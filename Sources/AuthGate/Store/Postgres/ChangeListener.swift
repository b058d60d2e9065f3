import Glibc
import Logging

/// Keeps a process's `ReadCache` true to the database: LISTENs on one
/// connection of its own to the NOTIFY messages that triggers send for
/// every change to `users` (any writer, Flask included) and every new
/// revocation. Lost connection: the cache goes off until it is back.
final class ChangeListener: Sendable {
    static let usersChannel = "authgate_users"
    static let revocationsChannel = "authgate_revocations"

    /// Created by the migration: one notification per statement that
    /// changes users, one per revoked token ("jti expires-epoch").
    static let triggersSQL = """
        CREATE OR REPLACE FUNCTION authgate_notify_users() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('\(usersChannel)', ''); RETURN NULL; END $$;
        DROP TRIGGER IF EXISTS authgate_users_changed ON users;
        CREATE TRIGGER authgate_users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
            FOR EACH STATEMENT EXECUTE FUNCTION authgate_notify_users();
        CREATE OR REPLACE FUNCTION authgate_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(revocationsChannel)', NEW.jti || ' ' || extract(epoch FROM NEW.expires_at)::text);
            RETURN NULL;
        END $$;
        DROP TRIGGER IF EXISTS authgate_revocation_added ON token_blocklist;
        CREATE TRIGGER authgate_revocation_added AFTER INSERT ON token_blocklist
            FOR EACH ROW EXECUTE FUNCTION authgate_notify_revocation();
        """

    let uri: String
    let cache: ReadCache
    let logger: Logger

    init(uri: String, cache: ReadCache, logger: Logger) {
        self.uri = uri
        self.cache = cache
        self.logger = logger
    }

    func run(until stopping: StopFlag) {
        defer { cache.disable() }
        while !stopping.isSet {
            let db = PGConnection(uri: uri, echo: false, logger: logger)
            do {
                try db.exec(unsafeSQL: "LISTEN \(Self.usersChannel); LISTEN \(Self.revocationsChannel)")
                // Read after LISTEN: a revocation in between arrives as a notification too.
                // Every row: the purge keeps them only while their token can
                // still be accepted (exp + leeway).
                let rows = try db.exec(unsafeSQL: """
                    SELECT jti, extract(epoch FROM expires_at)::float8 FROM token_blocklist
                    """)
                var revoked: [[UInt8]: Double] = [:]
                for row in rows {
                    if let jti = row.first ?? nil { revoked[Array(jti.utf8)] = row.last.flatMap { $0.flatMap(Double.init) } ?? 0 }
                }
                cache.enable(revoked: revoked)
                logger.info("read cache on", metadata: ["revocations": "\(revoked.count)"])
                while !stopping.isSet {
                    for note in try db.notifications(timeoutMilliseconds: 200) { apply(note) }
                }
            } catch {
                if cache.isEnabled { logger.warning("read cache off: listener lost", metadata: ["error": "\(error)"]) }
                cache.disable()
                usleep(500_000)
            }
        }
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
