import ArgumentParser
import AuthGateApp
import Glibc

/// A password for `create-user`, never from the command line (every user
/// sees it in `ps`): the first line of a file, or of standard input,
/// prompted for without echo on a terminal.
enum PasswordInput {
    /// More than register's 1024-byte limit, so that one is the one reported.
    static let maxBytes = 4096

    static func read(file: String?) throws -> String {
        let bytes: [UInt8]
        if let file {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw AdminError.password("cannot read the password file \(file): \(errorText())") }
            defer { close(fd) }
            bytes = try readAll(fd)
        } else if isatty(0) == 1 {
            bytes = try promptWithoutEcho()
        } else {
            bytes = try readAll(0)
        }
        var line =
            bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first
            .map(Array.init) ?? []
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard !line.isEmpty else {
            throw AdminError.password("no password given (pipe it on standard input or use --password-file)")
        }
        guard let password = String(validating: line, as: UTF8.self) else {
            throw AdminError.password("the password is not valid UTF-8")
        }
        return password
    }

    /// Up to `maxBytes + 1` bytes, so an over-long input is seen as such.
    private static func readAll(_ fd: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while out.count <= maxBytes {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw AdminError.password("cannot read the password: \(errorText())")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        let firstLine = out.prefix { $0 != UInt8(ascii: "\n") }
        guard firstLine.count <= maxBytes else {
            throw AdminError.password("the password is longer than \(maxBytes) bytes")
        }
        return out
    }

    private static func promptWithoutEcho() throws -> [UInt8] {
        var stderr = StandardError()
        print("Password: ", terminator: "", to: &stderr)
        var saved = termios()
        let canHide = tcgetattr(0, &saved) == 0
        if canHide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSAFLUSH, &quiet)
        }
        defer {
            if canHide { tcsetattr(0, TCSAFLUSH, &saved) }
            print("", to: &stderr)
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count <= maxBytes, Glibc.read(0, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        return line
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
