import Logging
import AuthGateFCGI

/// `authgate serve --supervise`, for the command line: see `Supervisor`.
public enum Supervision {
    /// Runs the supervisor until SIGTERM or SIGINT; returns the exit status.
    public static func run(listen: String?, logger: Logger) throws -> Int32 {
        try Supervisor(listen: listen, logger: logger).run()
    }
}
