import AuthGateTestSupport
@testable import AuthGateStore

extension SQLiteFixture {
    /// The store itself, for what only SQLite offers (migrations, dry runs, schema status).
    func sqliteStore(migrated: Bool = true) throws -> SQLiteUserStore {
        let store = try SQLiteUserStore(path: path, echo: false, logger: Self.quiet)
        if migrated { try store.migrate() }
        return store
    }
}
