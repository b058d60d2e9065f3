internal import CLibPQ
import Glibc
import Logging

/// SQLSTATE codes AuthGate reacts to (PostgreSQL Appendix A).
enum SQLState {
    static let uniqueViolation = "23505"
    static let lockNotAvailable = "55P03"
    static let adminShutdown = "57P01"
    static let crashShutdown = "57P02"
    static let cannotConnectNow = "57P03"
    /// Class 08: connection exceptions.
    static let connectionClass = "08"
}
