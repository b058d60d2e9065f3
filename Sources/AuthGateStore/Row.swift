import AuthGateCore

/// One result row as both backends return it: each column's text by
/// position, nil for SQL NULL. Reading a column that is missing, NULL or
/// not of the type asked for throws `StoreError.failed`: the statement and
/// the code reading it disagree, which is a bug to report (500), never a
/// row to skip. Errors name the column, never its value (it may be a
/// password hash).
package struct Row: Sendable {
    package let columns: [String?]

    init(_ columns: [String?]) { self.columns = columns }

    func string(at index: Int) throws(StoreError) -> String {
        guard columns.indices.contains(index) else {
            throw StoreError.failed("row has \(columns.count) columns, column \(index) was read")
        }
        guard let text = columns[index] else { throw StoreError.failed("column \(index) is NULL") }
        return text
    }

    func int(at index: Int) throws(StoreError) -> Int {
        guard let value = Int(try string(at: index)) else {
            throw StoreError.failed("column \(index) is not an integer")
        }
        return value
    }

    func double(at index: Int) throws(StoreError) -> Double {
        guard let value = Double(try string(at: index)) else {
            throw StoreError.failed("column \(index) is not a number")
        }
        return value
    }

    /// PostgreSQL writes booleans as `t`/`f`, SQLite as `1`/`0`.
    func bool(at index: Int) throws(StoreError) -> Bool {
        switch try string(at: index) {
        case "t", "1": return true
        case "f", "0": return false
        default: throw StoreError.failed("column \(index) is not a boolean")
        }
    }
}
