
/// One row of the route table.
public struct Route: Sendable {
    public var method: String
    public var path: String
    public var handler: Handler
}
