internal import CLibPQ
import Glibc
import Logging

/// A lock wait ran past `lock_timeout` (start-up migration only).
struct LockNotAvailable: Error, CustomStringConvertible {
    let description: String
}
