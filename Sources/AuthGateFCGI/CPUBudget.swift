internal import CSystem
import Glibc
import AuthGateCore

/// How many cores this process may really use: the CPUs in its affinity
/// mask, lowered by a cgroup CPU quota (a container's `cpus:` or systemd's
/// `CPUQuota=`), never the host's CPU count.
public enum CPUBudget {
    public static func cores() -> Int {
        var cores = affinityCount()
        if let quota = cgroupQuotaCores() { cores = min(cores, quota) }
        return max(1, cores)
    }

    static func affinityCount() -> Int {
        let count = Int(authgate_affinity_count())
        return count > 0 ? count : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The tightest quota on this process's cgroup or any ancestor, rounded
    /// up to whole cores; nil when there is none.
    static func cgroupQuotaCores() -> Int? {
        var best: Int?
        for dir in cgroupDirectories() {
            // cgroup v2: "max 100000" or "200000 100000"; v1: two files.
            let cores: Int?
            if let line = readFirstLine(dir + "/cpu.max") {
                cores = quotaCores(cpuMax: line)
            } else if let quota = readFirstLine(dir + "/cpu.cfs_quota_us"),
                let period = readFirstLine(dir + "/cpu.cfs_period_us")
            {
                cores = quotaCores(cpuMax: quota + " " + period)
            } else {
                cores = nil
            }
            if let cores { best = min(best ?? cores, cores) }
        }
        return best
    }

    /// Whole cores a quota allows, rounded up: cgroup v2's `cpu.max`
    /// ("200000 100000"; "max 100000" is no quota) or v1's quota and
    /// period joined by a space (a quota of -1 is none).
    static func quotaCores(cpuMax line: String) -> Int? {
        let parts = line.split(separator: " ")
        guard parts.count == 2, let quota = Double(parts[0]), let period = Double(parts[1]),
            quota > 0, period > 0
        else { return nil }
        return max(1, Int((quota / period).rounded(.up)))
    }

    /// The process's own cgroup directories (v2 unified or v1 cpu
    /// controller) and their ancestors up to the mount point.
    static func cgroupDirectories() -> [String] {
        var dirs: [String] = []
        guard let text = ConfigLoader.readFile("/proc/self/cgroup") else { return ["/sys/fs/cgroup"] }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let base: String
            if fields[0] == "0" && fields[1].isEmpty {
                base = "/sys/fs/cgroup"
            } else if fields[1].split(separator: ",").contains("cpu") {
                base = "/sys/fs/cgroup/" + fields[1]
            } else {
                continue
            }
            var path = String(fields[2])
            while true {
                dirs.append(base + (path == "/" ? "" : path))
                guard path != "/", let slash = path.lastIndex(of: "/") else { break }
                path = slash == path.startIndex ? "/" : String(path[..<slash])
            }
        }
        return dirs.isEmpty ? ["/sys/fs/cgroup"] : dirs
    }

    private static func readFirstLine(_ path: String) -> String? {
        ConfigLoader.readFile(path).flatMap { $0.split(separator: "\n").first.map(String.init) }
    }
}
