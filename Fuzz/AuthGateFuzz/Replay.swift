import Glibc

/// Runs files through a target without libFuzzer: the regression replay of
/// the committed corpus in a normal build.
enum Replay {
    /// Returns how many files ran; a path that cannot be read stops the program.
    static func run(paths: [String], through target: FuzzTargets.Run) -> Int {
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let bytes = read(file) else {
                    printError("authgate-fuzz: cannot read \(file)")
                    exit(1)
                }
                target(bytes)
                count += 1
            }
        }
        return count
    }

    /// A folder's regular files (sorted, not recursive), or the path itself.
    private static func files(at path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            names.append(path + "/" + name)
        }
        return names.sorted()
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}
