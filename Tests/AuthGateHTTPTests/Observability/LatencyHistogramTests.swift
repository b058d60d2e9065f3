import Testing
@testable import AuthGateHTTP
import AuthGateTestSupport

@Suite struct LatencyHistogramTests {
    func rendered(_ values: [Double]) -> [String] {
        let histogram = LatencyHistogram()
        for v in values { histogram.record(seconds: v) }
        var out: [UInt8] = []
        histogram.render(name: "h", labels: #"route="/x""#, into: &out)
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func bucketsAreCumulativeAndUpperBoundsInclusive() {
        let lines = rendered([0.0005, 0.0006, 0.02, 31, .nan, -1])
        #expect(lines.first == #"h_bucket{route="/x",le="0.0005"} 3"#, "0.0005 itself, NaN and a negative one")
        #expect(lines.contains(#"h_bucket{route="/x",le="0.001"} 4"#))
        #expect(lines.contains(#"h_bucket{route="/x",le="0.025"} 5"#))
        #expect(lines.contains(#"h_bucket{route="/x",le="30.0"} 5"#))
        #expect(lines.contains(#"h_bucket{route="/x",le="+Inf"} 6"#))
        #expect(lines.last == #"h_count{route="/x"} 6"#)
        let sum = lines.dropLast().last.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        #expect(abs((sum ?? 0) - 31.0211) < 1e-6, "NaN and negative durations add nothing")
        #expect(lines.count == LatencyHistogram.bounds.count + 3)
    }

    @Test func recordsFromManyThreadsAreAllCounted() async {
        let histogram = LatencyHistogram()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { histogram.record(seconds: 0.003) } } }
        }
        var out: [UInt8] = []
        histogram.render(name: "h", labels: "a=\"b\"", into: &out)
        #expect(String(decoding: out, as: UTF8.self).contains("h_count{a=\"b\"} 8000\n"))
    }
}
