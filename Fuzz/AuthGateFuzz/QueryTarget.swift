import AuthGateHTTP

/// The query-string parser, against a plain byte-by-byte reading of the
/// same rules (Werkzeug's): `&` separates, the first `=` splits, `+` is a
/// space, `%XX` a byte, a malformed escape stays literal, bytes that are
/// not UTF-8 become U+FFFD. Both must give the same pairs.
enum QueryTarget {
    static func run(_ input: [UInt8]) {
        let raw = String(decoding: input, as: UTF8.self)
        let pairs = QueryString.parse(raw)
        let expected = reference(Array(raw.utf8))
        guard pairs.count == expected.count else { FuzzCheck.fail("query pair count differs", input) }
        for (got, want) in zip(pairs, expected) {
            guard got.name.utf8.elementsEqual(want.name.utf8), got.value.utf8.elementsEqual(want.value.utf8) else {
                FuzzCheck.fail("query pair differs from the reference reading", input)
            }
        }
        let request = Request(method: "GET", path: "/api/users/all", queryString: raw, logger: FuzzFixtures.logger)
        blackHole((request.queryValue("page"), request.queryValue("per_page")))
    }

    static func reference(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        var segment: [UInt8] = []
        func flush() {
            guard !segment.isEmpty else { return }
            if let eq = segment.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((decode(Array(segment[..<eq])), decode(Array(segment[(eq + 1)...]))))
            } else {
                pairs.append((decode(segment), ""))
            }
            segment = []
        }
        for b in bytes {
            if b == UInt8(ascii: "&") { flush() } else { segment.append(b) }
        }
        flush()
        return pairs
    }

    static func decode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "+") {
                out.append(0x20)
            } else if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2])
            {
                out.append(hi * 16 + lo)
                i += 2
            } else {
                out.append(bytes[i])
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ b: UInt8) -> UInt8? {
        let digits = Array("0123456789abcdef".utf8), upper = Array("ABCDEF".utf8)
        if let i = digits.firstIndex(of: b) { return UInt8(i) }
        if let i = upper.firstIndex(of: b) { return UInt8(10 + i) }
        return nil
    }
}
