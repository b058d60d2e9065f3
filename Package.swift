// swift-tools-version:6.0
// Layout: system libraries -> AuthGate (library) -> authgate (executable).
import PackageDescription

let package = Package(
    name: "AuthGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "authgate", targets: ["authgate"]),
        .library(name: "AuthGate", targets: ["AuthGate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Linux calls Swift's Glibc module hides behind _GNU_SOURCE.
        .systemLibrary(name: "CSystem"),
        // Keeps scrypt's working buffers between hashes (an OpenSSL allocator hook).
        .target(name: "CScryptArena", dependencies: ["COpenSSL"]),
        .target(
            name: "AuthGate",
            dependencies: [
                "CFastCGI", "CLibPQ", "COpenSSL", "CSQLite", "CScryptArena", "CSystem",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "authgate",
            dependencies: [
                "AuthGate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "AuthGateTests", dependencies: ["AuthGate"]),
    ]
)
