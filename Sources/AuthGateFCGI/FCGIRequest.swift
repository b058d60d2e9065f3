internal import CFastCGI
import Glibc
import AuthGateHTTP

/// One libfcgi request slot (`FCGX_Request`) and the connection it reads.
/// AuthGate accepts connections itself (`Acceptor`) and hands each one to
/// libfcgi, which only parses records: libfcgi never touches the shared
/// listening socket, so no signal ever has to interrupt it mid-record.
/// Owned by one thread at a time: a worker, or the KDF pool after a handoff.
final class FCGIRequest: @unchecked Sendable {
    private let raw: UnsafeMutablePointer<FCGX_Request>

    /// libfcgi falls back to `accept` on its own listening socket when a kept
    /// connection ends; this one never listens, so that `accept` fails at
    /// once (EINVAL) instead of blocking a thread where the drain cannot see it.
    private static let noListener: Int32 = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)

    init() {
        raw = .allocate(capacity: 1)
        FCGX_InitRequest(raw, FCGIRequest.noListener, 0)
    }

    deinit {
        FCGX_Free(raw, 1)
        raw.deallocate()
    }

    /// Takes a connection (from the park); the next `readNext` reads from it.
    func adopt(connection fd: Int32) {
        closeConnection()
        raw.pointee.ipcFd = fd
    }

    /// Reads the next request's parameters from the current connection.
    /// False when the connection ended or sent garbage: it is closed then.
    func readNext() -> Bool {
        guard raw.pointee.ipcFd >= 0 else { return false }
        // FCGX_Accept_r first finishes the previous request, closing the
        // connection unless it is kept; a just-adopted one must stay open.
        if raw.pointee.in == nil { raw.pointee.keepConnection = 1 }
        return FCGX_Accept_r(raw) >= 0
    }

    /// Gives up the connection after an answer, for the park: nil when
    /// nginx did not ask to keep it (libfcgi closed it then).
    func releaseKeptConnection() -> Int32? {
        let fd = raw.pointee.ipcFd
        guard fd >= 0, raw.pointee.in == nil else { return nil }
        raw.pointee.ipcFd = -1
        return fd
    }

    /// Closes the connection it holds, if any.
    private func closeConnection() {
        guard raw.pointee.ipcFd >= 0 else { return }
        Glibc.close(raw.pointee.ipcFd)
        raw.pointee.ipcFd = -1
    }

    func param(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, raw.pointee.envp) else { return nil }
        return String(cString: value)
    }

    /// Reads the request body, at most `limit` bytes; stops early at the
    /// end of the stream.
    func readBody(limit: Int) -> [UInt8] {
        guard limit > 0 else { return [] }
        var body = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let n = body.withUnsafeMutableBufferPointer { buf -> Int32 in
                guard let base = buf.baseAddress else { return 0 }
                return FCGX_GetStr(
                    UnsafeMutableRawPointer(base + filled).assumingMemoryBound(to: CChar.self),
                    Int32(limit - filled), raw.pointee.in)
            }
            if n <= 0 { break }
            filled += Int(n)
        }
        body.removeSubrange(filled...)
        return body
    }

    /// Writes `response` (head, then body unless omitted) and ends the
    /// request, flushing it to nginx; the connection stays open if nginx
    /// asked to keep it. A client that went away is not an error worth
    /// more than returning.
    func send(_ response: Response) {
        let (head, body) = response.wireParts
        write(head)
        write(body)
        FCGX_Finish_r(raw)
    }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, !buf.isEmpty else { return }
            _ = FCGX_PutStr(
                UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buf.count), raw.pointee.out)
        }
    }
}
