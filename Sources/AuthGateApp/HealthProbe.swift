import Glibc
import Logging
import AuthGateCore

/// `authgate healthcheck` for containers: no HTTP, no curl. Healthy when
/// the FastCGI listener accepts a connection and the database answers.
public enum HealthProbe {
    public static func run(config: Config, logger: Logger) -> Bool {
        guard let address = config.listen else {
            logger.error("healthcheck needs AUTHGATE_LISTEN")
            return false
        }
        guard connects(to: address) else {
            logger.error("healthcheck: listener not accepting", metadata: ["address": "\(address)"])
            return false
        }
        do {
            try config.database.open(echo: false, logger: logger).ping()
            return true
        } catch {
            logger.error("healthcheck: database", metadata: ["error": "\(error)"])
            return false
        }
    }

    static func connects(to address: String) -> Bool {
        if address.hasPrefix("unix:") {
            let path = Array(address.dropFirst(5).utf8)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            guard path.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in path.enumerated() { raw[i] = b }
                raw[path.count] = 0
            }
            return connects(family: AF_UNIX, to: &addr)
        }
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            return false
        }
        var host = String(address[..<colon])
        if host.isEmpty || host == "*" || host == "0.0.0.0" { host = "127.0.0.1" }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { return false }
        return connects(family: AF_INET, to: &addr)
    }

    /// One stream connection attempt to a filled-in socket address.
    private static func connects<Address>(family: Int32, to addr: inout Address) -> Bool {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) == 0
            }
        }
    }
}
