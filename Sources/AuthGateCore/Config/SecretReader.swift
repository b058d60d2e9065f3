import Glibc

/// Reads a secret setting from exactly one of: the variable itself
/// (environment, else `.env`), the file `NAME_FILE` names, or the systemd
/// credential named as the variable in lower case in
/// `$CREDENTIALS_DIRECTORY` (`LoadCredential=`). Two of them set is an
/// error naming both: which one wins would be a guess. From a file or a
/// credential one trailing newline is dropped (`echo secret > file`).
/// Never a secret's bytes in an error or a warning: names and paths only.
struct SecretReader {
    let value: (String) -> String?
    let credentialsDirectory: String?
    /// Said at start-up (a file others may read); never holds a secret.
    private(set) var warnings: [String] = []

    /// Largest secret file read: anything bigger is a wrong path.
    static let maxFileBytes = 1 << 20

    struct Secret {
        var bytes: [UInt8]
        /// The variable (or `NAME_FILE`) it was read through, for errors.
        var variable: String
        /// The file it was read from; nil when it was the variable's value.
        var path: String?
        /// Where it came from, for messages: the variable, and the file if any.
        var source: String { path.map { "\(variable) (\($0))" } ?? variable }
    }

    init(value: @escaping (String) -> String?) {
        self.value = value
        self.credentialsDirectory = value("CREDENTIALS_DIRECTORY").flatMap { $0.isEmpty ? nil : $0 }
    }

    static func credentialName(_ variable: String) -> String { variable.lowercased() }

    /// The secret `name`, or nil when none of its sources is set (an empty
    /// variable counts as unset, as it always did).
    mutating func secret(_ name: String) throws(ConfigError) -> Secret? {
        let fileVariable = name + "_FILE"
        let direct = value(name).flatMap { $0.isEmpty ? nil : $0 }
        let path = value(fileVariable).flatMap { $0.isEmpty ? nil : $0 }
        var credential: String?
        if let directory = credentialsDirectory {
            let candidate = directory + "/" + SecretReader.credentialName(name)
            if access(candidate, F_OK) == 0 { credential = candidate }
        }
        let set = [
            direct.map { _ in name }, path.map { _ in fileVariable },
            credential.map { _ in "credential \(SecretReader.credentialName(name))" }
        ].compactMap { $0 }
        if set.count > 1 {
            throw ConfigError(
                variable: name,
                message: "\(set.joined(separator: " and ")) are \(set.count == 2 ? "both" : "all") set; keep one")
        }
        if let direct { return Secret(bytes: Array(direct.utf8), variable: name, path: nil) }
        if let path { return try readFile(path, variable: fileVariable) }
        if let credential { return try readFile(credential, variable: name) }
        return nil
    }

    private mutating func readFile(_ path: String, variable: String) throws(ConfigError) -> Secret {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigError(variable: variable, message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ConfigError(variable: variable, message: "\(path) is not a regular file")
        }
        guard info.st_size <= SecretReader.maxFileBytes else {
            throw ConfigError(variable: variable, message: "\(path) is larger than \(SecretReader.maxFileBytes) bytes")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= SecretReader.maxFileBytes {
            let n = read(fd, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                throw ConfigError(
                    variable: variable, message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard !bytes.isEmpty else { throw ConfigError(variable: variable, message: "\(path) is empty") }
        // Group or others may read it: said, not refused (a drop-in keeps
        // starting; compose and Kubernetes mount secrets 0444 by default).
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            warnings.append(
                "\(variable): \(path) can be read by users other than its owner (mode 0\(String(mode, radix: 8))); chmod 600 it"
            )
        }
        return Secret(bytes: bytes, variable: variable, path: path)
    }
}
