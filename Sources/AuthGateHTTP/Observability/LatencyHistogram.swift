import Synchronization

/// A Prometheus histogram of request durations with one atomic counter per
/// bucket and an atomic sum: recording is two relaxed atomic adds, no lock.
/// (swift-prometheus's own histogram takes a mutex per observation, and
/// this one is recorded on every request.) Buckets are kept non-cumulative
/// and summed when rendered; `_count` is the sum of the buckets, so a
/// scrape never shows a count that disagrees with them.
package final class LatencyHistogram: Sendable {
    /// Upper bounds in seconds: reads take well under a millisecond, a
    /// login one scrypt (~50–100 ms), a queued one up to
    /// `AUTHGATE_KDF_WAIT_SECONDS` (25 at most).
    package static let bounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10, 30
    ]
    package static let boundLabels = bounds.map { String($0) } + ["+Inf"]

    private final class Cell: Sendable { let value = Atomic<Int>(0) }

    /// One per bound, then +Inf.
    private let buckets: [Cell] = (0...LatencyHistogram.bounds.count).map { _ in Cell() }
    private let sumNanoseconds = Atomic<Int>(0)

    package init() {}

    package func record(seconds: Double) {
        var index = 0
        while index < Self.bounds.count, seconds > Self.bounds[index] { index += 1 }
        buckets[index].value.add(1, ordering: .relaxed)
        let nanoseconds = seconds.isFinite ? Int(max(0, min(seconds, 1e6)) * 1e9) : 0
        sumNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Appends the `_bucket`, `_sum` and `_count` lines of this histogram,
    /// labelled `labels` (already rendered, e.g. `route="/auth/login"`).
    package func render(name: String, labels: String, into out: inout [UInt8]) {
        var cumulative = 0
        for (cell, le) in zip(buckets, Self.boundLabels) {
            cumulative += cell.value.load(ordering: .relaxed)
            out.append(contentsOf: "\(name)_bucket{\(labels),le=\"\(le)\"} \(cumulative)\n".utf8)
        }
        let sum = Double(sumNanoseconds.load(ordering: .relaxed)) / 1e9
        out.append(contentsOf: "\(name)_sum{\(labels)} \(sum)\n".utf8)
        out.append(contentsOf: "\(name)_count{\(labels)} \(cumulative)\n".utf8)
    }
}
