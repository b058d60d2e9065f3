internal import CFastCGI

/// One libfcgi request slot (`FCGX_Request`), owned by one worker thread
/// for its whole life. The pointer never leaves this type.
final class FCGIRequest {
    private let raw: UnsafeMutablePointer<FCGX_Request>

    /// `listenFD` is the shared listening socket. With
    /// `FCGI_FAIL_ACCEPT_ON_INTR`, a signal makes `accept` return instead
    /// of retrying, so the drain can wake an idle thread.
    init(listenFD: Int32) {
        raw = .allocate(capacity: 1)
        FCGX_InitRequest(raw, listenFD, FCGI_FAIL_ACCEPT_ON_INTR)
    }

    deinit {
        FCGX_Free(raw, 1)
        raw.deallocate()
    }

    /// Waits for the next request (finishing the previous one first).
    /// False when accepting failed: the listener was shut down or a signal
    /// interrupted an idle wait.
    func accept() -> Bool { FCGX_Accept_r(raw) >= 0 }

    /// Ends the current request, flushing its output to nginx.
    func finish() { FCGX_Finish_r(raw) }

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
                return FCGX_GetStr(UnsafeMutableRawPointer(base + filled).assumingMemoryBound(to: CChar.self),
                                   Int32(limit - filled), raw.pointee.in)
            }
            if n <= 0 { break }
            filled += Int(n)
        }
        body.removeSubrange(filled...)
        return body
    }

    /// Writes the whole response; a client that went away is not an error
    /// worth more than returning.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, !buf.isEmpty else { return }
            _ = FCGX_PutStr(UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buf.count), raw.pointee.out)
        }
    }
}

/// libfcgi's process-wide set-up and listener helpers.
enum FastCGI {
    static func initialize() -> Bool { FCGX_Init() == 0 }

    /// Opens `host:port` or a unix socket path; -1 on failure.
    static func openSocket(_ address: String, backlog: Int32) -> Int32 {
        FCGX_OpenSocket(address, backlog)
    }

    /// Tells libfcgi's own accept loop to stop retrying.
    static func shutdownPending() { FCGX_ShutdownPending() }
}
