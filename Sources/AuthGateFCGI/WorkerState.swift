/// What a worker thread is doing, so the drain knows whom it may
/// interrupt. (Whether it serves a request is `Worker.busy`.)
enum WorkerState: Sendable {
    /// In the park's `next`, or serving a request. Never interrupted.
    case running
    /// Between a readable listener and `accept`: the only place a signal
    /// may interrupt (another thread or process took the connection first,
    /// and `accept` blocks). Nothing has been read yet.
    case accepting
    case stopped
}
