import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// Rows are read by position through `Row`; a column that is missing,
/// NULL or of the wrong type is a store failure, never a skipped row.
@Suite struct RowDecodingTests {
    /// The message of the `StoreError.failed` that `read` throws.
    func failure(_ read: () throws -> Void) -> String? {
        do {
            try read()
            return nil
        } catch StoreError.failed(let message) {
            return message
        } catch {
            return "wrong error: \(error)"
        }
    }

    @Test func readsTextIntegersNumbersAndBooleans() throws {
        let row = Row(["alice", "42", "1700000000.5", "t", "0"])
        #expect(try row.string(at: 0) == "alice")
        #expect(try row.int(at: 1) == 42)
        #expect(try row.double(at: 2) == 1_700_000_000.5)
        #expect(try row.bool(at: 3))
        #expect(try !row.bool(at: 4))
        #expect(try Row(["Infinity"]).double(at: 0) == .infinity)
    }

    @Test func missingNullAndUnparseableColumnsFailNamingTheColumnNotTheValue() {
        let row = Row(["pbkdf2:sha256:1000$salt$hash", nil, "twelve"])
        #expect(failure { _ = try row.string(at: 3) } == "row has 3 columns, column 3 was read")
        #expect(failure { _ = try row.string(at: -1) } == "row has 3 columns, column -1 was read")
        #expect(failure { _ = try row.string(at: 1) } == "column 1 is NULL")
        #expect(failure { _ = try row.int(at: 2) } == "column 2 is not an integer")
        #expect(failure { _ = try row.double(at: 0) } == "column 0 is not a number")
        #expect(failure { _ = try row.bool(at: 0) } == "column 0 is not a boolean")
    }

    @Test func usersDecodeInTheirSelectListsOrder() throws {
        #expect(UserRecord.columns == "id, username, email, password")
        #expect(
            try UserRecord(row: Row(["u1", "alice", "a@example.com", "hash"]))
                == UserRecord(id: "u1", username: "alice", email: "a@example.com", passwordHash: "hash"))
        #expect(PublicUser.columns == "id, username, email")
        #expect(
            try PublicUser(row: Row(["u1", "alice", "a@example.com"]))
                == PublicUser(id: "u1", username: "alice", email: "a@example.com"))
        #expect(failure { _ = try UserRecord(row: Row(["u1", "alice", nil, "hash"])) } == "column 2 is NULL")
        #expect(failure { _ = try PublicUser(row: Row(["u1", "alice"])) } == "row has 2 columns, column 2 was read")
    }
}
