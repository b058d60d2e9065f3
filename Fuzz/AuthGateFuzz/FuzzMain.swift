import Glibc
#if FUZZING
import CLibFuzzer
#endif

/// `authgate-fuzz TARGET ARGS...` (docs/fuzzing.md). Built with `-DFUZZING`
/// and `-sanitize=fuzzer` (`make fuzz`), ARGS go to libFuzzer. Built
/// normally, it replays the files ARGS name (a folder: every file in it)
/// through TARGET, so the committed corpus runs without the fuzzer
/// runtime; `all DIR` replays DIR/<target>/ for every target.
/// One program, not one per target, so a normal `swift build` links one
/// more executable, not six.
@main
enum FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else { usage() }
        let name = arguments[1]
        #if FUZZING
        guard let target = FuzzTargets.byName[name] else { usage() }
        FuzzTargets.selected = target
        // libFuzzer sees the program name and what follows the target name.
        var argv: [UnsafeMutablePointer<CChar>?] = ([arguments[0]] + arguments.dropFirst(2)).map { strdup($0) } + [nil]
        var argc = Int32(argv.count - 1)
        let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var base = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &base) { data, size in
                FuzzTargets.selected(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                return 0
            }
        }
        exit(status)
        #else
        if name == "all" {
            guard arguments.count == 3 else { usage() }
            for (target, run) in FuzzTargets.all {
                let count = Replay.run(paths: [arguments[2] + "/" + target], through: run)
                print("\(target): \(count) inputs replayed, no crash")
            }
            return
        }
        guard let run = FuzzTargets.byName[name], arguments.count > 2 else { usage() }
        let count = Replay.run(paths: Array(arguments.dropFirst(2)), through: run)
        print("\(name): \(count) inputs replayed, no crash")
        #endif
    }

    static func usage() -> Never {
        let names = FuzzTargets.all.map(\.name).joined(separator: "|")
        printError("usage: authgate-fuzz (\(names)) [libFuzzer options | files and folders to replay]\n"
                   + "       authgate-fuzz all CORPUS   (replays CORPUS/<target>/ for each target)")
        exit(2)
    }
}

/// A line on standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
