// swift-tools-version:6.0
// Layers are targets, so a wrong-way import does not compile. Dependencies
// point down: C modules -> AuthGateCore (domain) -> AuthGateStore ->
// AuthGateHTTP -> AuthGateFCGI (transport) -> AuthGateApp (composition
// root) -> authgate (the command line). Across targets, APIs are `package`;
// `public` only where the executable needs it. See docs/ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "AuthGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "authgate", targets: ["authgate"])
    ],
    dependencies: [
        // Exact versions: Package.resolved stays out of git.
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1")
    ],
    targets: [
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Unicode's NFKC_Casefold, for the caseless username policy.
        .systemLibrary(name: "CICU", pkgConfig: "icu-uc", providers: [.apt(["libicu-dev"])]),
        // Linux calls Swift's Glibc module hides behind _GNU_SOURCE.
        .systemLibrary(name: "CSystem"),
        // Keeps scrypt's working buffers between hashes (an OpenSSL allocator hook).
        .target(name: "CScryptArena", dependencies: ["COpenSSL"]),

        // Domain: configuration, tokens, passwords, JSON, errors. C: OpenSSL, and ICU for UsernameFold.
        .target(name: "AuthGateCore", dependencies: ["COpenSSL", "CScryptArena", "CICU"]),
        // Storage: the UserStore protocol, PostgreSQL (libpq), SQLite, migrations, the read cache.
        .target(
            name: "AuthGateStore",
            dependencies: [
                "AuthGateCore", "CLibPQ", "CSQLite", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics")
            ]),
        // HTTP semantics: requests, responses, the route table, handlers. No C types.
        .target(
            name: "AuthGateHTTP",
            dependencies: [
                "AuthGateCore", "AuthGateStore", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics")
            ]),
        // Transport: libfcgi, accepting, the KDF pool, signals, the supervisor. Knows no users.
        .target(
            name: "AuthGateFCGI",
            dependencies: [
                "AuthGateCore", "AuthGateHTTP", "CFastCGI", "CSystem", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics")
            ]),
        // Composition root: services, the choice of backend, background jobs, start-up.
        .target(
            name: "AuthGateApp",
            dependencies: [
                "AuthGateCore", "AuthGateStore", "AuthGateHTTP", "AuthGateFCGI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus")
            ]),
        .executableTarget(
            name: "authgate",
            dependencies: [
                "AuthGateApp", "AuthGateCore", "AuthGateFCGI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")
            ]),
        // Fuzzing (docs/fuzzing.md): one program, the target named by its first
        // argument. `make fuzz` builds it with -DFUZZING and -sanitize=fuzzer;
        // a normal build replays files through a target instead.
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(
            name: "authgate-fuzz",
            dependencies: [
                "AuthGateCore", "AuthGateStore", "AuthGateHTTP", "AuthGateFCGI", "AuthGateTestSupport", "CLibFuzzer",
                .product(name: "Logging", package: "swift-log")
            ], path: "Fuzz/AuthGateFuzz"),
        // Tests: one target per layer, each `@testable` only over its own layer
        // (lower layers through their `package` API), and the support they share.
        .target(
            name: "AuthGateTestSupport",
            dependencies: [
                "AuthGateCore", "AuthGateStore", "AuthGateHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log")
            ], path: "Tests/AuthGateTestSupport"),
        .testTarget(name: "AuthGateCoreTests", dependencies: ["AuthGateCore", "AuthGateTestSupport"]),
        .testTarget(name: "AuthGateStoreTests", dependencies: ["AuthGateCore", "AuthGateStore", "AuthGateTestSupport"]),
        .testTarget(
            name: "AuthGateHTTPTests",
            dependencies: [
                "AuthGateCore", "AuthGateStore", "AuthGateHTTP", "AuthGateTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MetricsTestKit", package: "swift-metrics")
            ]),
        .testTarget(
            name: "AuthGateFCGITests",
            dependencies: ["AuthGateCore", "AuthGateHTTP", "AuthGateFCGI", "AuthGateTestSupport"]),
        .testTarget(
            name: "AuthGateAppTests",
            dependencies: ["AuthGateCore", "AuthGateStore", "AuthGateHTTP", "AuthGateApp", "AuthGateTestSupport"])
    ]
)

// Existentials spelled `any P` everywhere (Swift 7's rule). InternalImportsByDefault
// does not compile yet: public APIs use Glibc and OpenSSL types that would
// each need a `public import`.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("ExistentialAny")]
}
