import AuthGateCore

/// The login throttle is on but nginx passed no client address
/// (`REMOTE_ADDR`): a deployment mistake, answered as a server error with
/// a log line that names the fix, rather than counting every client as one.
package struct MissingClientAddress: HTTPError {
    package init() {}

    package var httpStatus: Int { 500 }
    package var httpBody: [(String, JSONValue)] { [("error", .string("Internal server error"))] }
    package var logEntry: ErrorLogEntry? {
        ErrorLogEntry(
            level: .error, message: "login throttle is on but the request has no client address",
            detail:
                "REMOTE_ADDR is empty: nginx must pass `fastcgi_param REMOTE_ADDR $remote_addr;` (the shipped nginx.conf does)"
        )
    }
}
