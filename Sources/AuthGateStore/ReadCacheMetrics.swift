import CoreMetrics

/// How the read cache answers: `authgate_read_cache_lookups_total{kind,result}`,
/// `result` being `hit` (answered from memory), `miss` (read from the
/// database, then kept) or `off` (the cache was off: read from the database).
/// Handles are made once, with the cache; counting is one atomic add.
struct ReadCacheMetrics: Sendable {
    enum Kind: Int, CaseIterable {
        case user, revocation, count, page, groups
        var label: String { ["user", "revocation", "count", "page", "groups"][rawValue] }
    }

    static let results = ["hit", "miss", "off"]
    private let counters: [Counter]  // by kind, then result

    init() {
        counters = Kind.allCases.flatMap { kind in
            Self.results.map {
                Counter(label: "authgate_read_cache_lookups_total", dimensions: [("kind", kind.label), ("result", $0)])
            }
        }
    }

    func count<T>(_ kind: Kind, _ lookup: ReadCache.Lookup<T>) {
        switch lookup {
        case .hit: counters[kind.rawValue * 3].increment()
        case .miss: counters[kind.rawValue * 3 + 1].increment()
        case .off: counters[kind.rawValue * 3 + 2].increment()
        }
    }

    /// A revocation lookup never misses: the cache holds the whole set.
    func countRevocation(answered: Bool) {
        counters[Kind.revocation.rawValue * 3 + (answered ? 0 : 2)].increment()
    }
}
