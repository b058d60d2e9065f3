import Glibc
import Logging
import Synchronization

/// What a worker thread is doing, so the drain knows whom it may interrupt.
enum WorkerState: Sendable {
    /// Between a readable listener and `accept`: the only place a signal
    /// may interrupt (another thread or process took the connection first,
    /// and `accept` blocks). Nothing has been read yet.
    case accepting
    /// Waiting in `poll` for a connection, for the next request on a kept
    /// one, or for the drain's wake-up; reading, handling or answering a
    /// request. Never interrupted by a signal.
    case working
    case stopped
}
