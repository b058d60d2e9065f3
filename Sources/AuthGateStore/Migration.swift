import Glibc
import Logging
import AuthGateCore

/// Schema steps both backends share (`PostgresSchema`, `SQLiteSchema`).
enum Migration {
    /// Skips the migration when `isCurrent` (no DDL, no lock taken), else
    /// runs `migrateOnce`, retrying with a doubling pause while `lockBusy`
    /// says another transaction holds a lock it needs; the last attempt's
    /// error is thrown.
    package static func run(
        attempts: Int, version: Int, logger: Logger, isCurrent: () throws -> Bool,
        migrateOnce: () throws -> Void, lockBusy: (any Error) -> Bool
    ) throws {
        var pause = 0.5
        for attempt in 1...attempts {
            if try isCurrent() {
                logger.info("database schema is current", metadata: ["version": "\(version)"])
                return
            }
            do {
                try migrateOnce()
                logger.info("database schema migrated", metadata: ["version": "\(version)"])
                return
            } catch  where lockBusy(error) && attempt < attempts {
                logger.warning(
                    "database schema migration is waiting for a lock held by another transaction; retrying",
                    metadata: ["attempt": "\(attempt)", "retry_in_s": "\(pause)", "error": "\(error)"])
                usleep(UInt32(pause * 1_000_000))
                pause *= 2
            }
        }
    }

    static func refuseDuplicates(usernames: [String], emails: [String]) throws {
        guard usernames.isEmpty && emails.isEmpty else {
            var parts: [String] = []
            if !usernames.isEmpty { parts.append("duplicate usernames: " + usernames.joined(separator: ", ")) }
            if !emails.isEmpty {
                parts.append("duplicate emails (ignoring ASCII case): " + emails.joined(separator: ", "))
            }
            throw StoreError.schema(
                "the users table breaks uniqueness, nothing was changed; "
                    + parts.joined(separator: "; "))
        }
    }
}
