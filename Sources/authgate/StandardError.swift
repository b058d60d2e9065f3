import ArgumentParser
import AuthGateApp
import AuthGateCore
import Glibc
import Logging

struct StandardError: TextOutputStream {
    package mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}
