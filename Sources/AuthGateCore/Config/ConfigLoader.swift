import Glibc

/// Reads `Config` from this process: its environment and `.env` in the
/// working directory.
public enum ConfigLoader {
    public static func fromProcess() throws -> Config {
        let environment = processEnvironment()
        let cwd = currentDirectory()
        let dotEnvText = readFile(cwd + "/.env") ?? ""
        let dotEnv = DotEnv.parse(dotEnvText, lookup: { environment[$0] })
        return try Config.load(environment: environment, dotEnv: dotEnv, workingDirectory: cwd)
    }

    static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            p += 1
        }
        return result
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole file as UTF-8 text, or nil when it cannot be read.
    package static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
