import Logging
import AuthGateFCGI

/// `authgate serve --supervise`, for the command line: see `Supervisor`.
public enum Supervision {
    /// Runs the supervisor until SIGTERM or SIGINT; returns the exit status.
    public static func run(listen: String?, socketMode: UInt32, logger: Logger) throws -> Int32 {
        try Supervisor(listen: listen, socketMode: socketMode, logger: logger).run()
    }
}
