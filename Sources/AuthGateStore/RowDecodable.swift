import AuthGateCore

/// A value read from one result row. `columns` is the select list its
/// initialiser reads, in that order; both backends select it as written,
/// so the order lives in one place.
protocol RowDecodable {
    static var columns: String { get }
    init(row: Row) throws(StoreError)
}
