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
        #if FUZZING
            fuzz(CommandLine.arguments)
        #else
            replay(CommandLine.arguments)
        #endif
    }

    #if FUZZING
        /// libFuzzer's argv, kept in a global for the whole run: libFuzzer may
        /// exit from inside the driver, and LeakSanitizer scans globals.
        nonisolated(unsafe) static var driverArguments: [UnsafeMutablePointer<CChar>?] = []

        static func fuzz(_ arguments: [String]) -> Never {
            var name = arguments.count >= 2 ? arguments[1] : ""
            var skipped = 2
            // libFuzzer starts copies of this program (-merge, -fork, -jobs) with
            // its own arguments only: they learn the target from the environment.
            if FuzzTargets.byName[name] != nil {
                setenv(FuzzTargets.environmentVariable, name, 1)
            } else if let inherited = getenv(FuzzTargets.environmentVariable) {
                name = String(cString: inherited)
                skipped = 1
            }
            guard let target = FuzzTargets.byName[name] else { usage() }
            FuzzTargets.selected = target
            // libFuzzer sees the program name and the arguments after the target.
            driverArguments = [strdup(arguments[0])] + arguments.dropFirst(skipped).map { strdup($0) } + [nil]
            var argc = Int32(driverArguments.count - 1)
            let status = driverArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var base = buffer.baseAddress
                return LLVMFuzzerRunDriver(&argc, &base) { data, size in
                    FuzzTargets.selected(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                }
            }
            exit(status)
        }
    #else
        static func replay(_ arguments: [String]) {
            guard arguments.count >= 3 else { usage() }
            let name = arguments[1]
            if name == "all" {
                guard arguments.count == 3 else { usage() }
                for (target, run) in FuzzTargets.all {
                    let count = Replay.run(paths: [arguments[2] + "/" + target], through: run)
                    print("\(target): \(count) inputs replayed, no crash")
                }
                return
            }
            guard let run = FuzzTargets.byName[name] else { usage() }
            let count = Replay.run(paths: Array(arguments.dropFirst(2)), through: run)
            print("\(name): \(count) inputs replayed, no crash")
        }
    #endif

    static func usage() -> Never {
        let names = FuzzTargets.all.map(\.name).joined(separator: "|")
        printError(
            "usage: authgate-fuzz (\(names)) [libFuzzer options | files and folders to replay]\n"
                + "       authgate-fuzz all CORPUS   (replays CORPUS/<target>/ for each target)")
        exit(2)
    }
}

/// A line on standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
