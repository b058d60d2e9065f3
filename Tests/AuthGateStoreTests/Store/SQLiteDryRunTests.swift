import Glibc
import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// `migrate status` and `migrate apply --dry-run` on a SQLite file the
/// Flask application made: they change nothing (not a byte, not the
/// journal mode), and the dry run prints exactly what `apply` runs.
@Suite struct SQLiteDryRunTests {
    /// As Flask-SQLAlchemy's db.create_all() lays it out, in Flask's default
    /// rollback-journal mode, with a user.
    func flaskFile() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        do {
            let flask = try SQLiteConnection(path: path, echo: false, logger: SQLiteFixture.quiet)
            try flask.exec(unsafeSQL: "PRAGMA journal_mode=DELETE")
            try flask.exec(
                unsafeSQL: """
                    CREATE TABLE users (id VARCHAR NOT NULL, username VARCHAR NOT NULL, email VARCHAR NOT NULL,
                                        password TEXT NOT NULL, PRIMARY KEY (id));
                    INSERT INTO users VALUES ('f1', 'flask', 'f@x.io', 'pbkdf2:sha256:1000$s$d');
                    """)
        }
        return (directory, path)
    }

    static func bytes(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n == 0 { break }
            out.append(contentsOf: buffer[..<n])
        }
        return out
    }

    /// The SQLite header's read/write format bytes (offsets 18, 19): 1 for
    /// a rollback journal, 2 for WAL.
    static func journalFormat(_ path: String) -> [UInt8]? { bytes(path).map { Array($0[18...19]) } }

    static func schema(_ path: String) throws -> [String?] {
        let db = try SQLiteConnection(path: path, echo: false, logger: SQLiteFixture.quiet, readOnly: true)
        let version = try db.execute("PRAGMA user_version", []).map { $0.columns.first ?? nil }
        return try version
            + db.execute(
                "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY 1",
                []
            ).map { $0.columns.first ?? nil }
    }

    @Test func statusAndDryRunChangeNothingNotEvenTheJournalMode() throws {
        let (directory, path) = try flaskFile()
        defer { directory.remove() }
        let before = try #require(Self.bytes(path))
        #expect(Self.journalFormat(path) == [1, 1])
        let location = DatabaseLocation.sqlite(path: path)
        let status = try location.schemaStatus(logger: SQLiteFixture.quiet)
        #expect(!status.isCurrent && status.recorded == 0)
        let plan = try location.migrationDryRun(logger: SQLiteFixture.quiet)
        #expect(plan.contains("ALTER TABLE users ADD COLUMN created_at DATETIME"))
        #expect(Self.bytes(path) == before)
        #expect(access(path + "-wal", F_OK) != 0 && access(path + "-journal", F_OK) != 0)
    }

    /// The printed statements, run on a copy, give the schema `apply` gives,
    /// and are the very statements `apply` ran.
    @Test func theDryRunIsExactlyWhatApplyRuns() throws {
        let (directory, path) = try flaskFile()
        defer { directory.remove() }
        let copy = directory.path + "/copy.sqlite"
        let original = try #require(Self.bytes(path))
        let out = try #require(fopen(copy, "wb"))
        _ = original.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, out) }
        fclose(out)

        let plan = try DatabaseLocation.sqlite(path: path).migrationDryRun(logger: SQLiteFixture.quiet)
        var executed: [String] = []
        try SQLiteUserStore(path: path, echo: false, logger: SQLiteFixture.quiet).schema.migrateOnce {
            executed.append($0)
        }
        #expect(executed == plan)
        do {
            let byHand = try SQLiteConnection(path: copy, echo: false, logger: SQLiteFixture.quiet)
            for statement in plan { try byHand.exec(unsafeSQL: statement) }
        }
        #expect(try Self.schema(copy) == Self.schema(path))
        #expect(try DatabaseLocation.sqlite(path: path).migrationDryRun(logger: SQLiteFixture.quiet).isEmpty)
    }

    @Test func aFileThatDoesNotExistIsNotCreated() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/none.sqlite"
        let plan = try DatabaseLocation.sqlite(path: path).migrationDryRun(logger: SQLiteFixture.quiet)
        #expect(plan.first?.contains("CREATE TABLE IF NOT EXISTS users") == true)
        #expect(access(path, F_OK) != 0)
    }
}
