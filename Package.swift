// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "diarium",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "diarium", targets: ["diarium"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Domain: types, rules, errors. Foundation only, no I/O.
        .target(name: "DiariumCore"),
        // The few libc calls Swift's Glibc module does not expose.
        .target(name: "CDiariumSystem"),
        // Content-addressed blob store and the SQLite catalog (GRDB): migrations, audit chain.
        .target(name: "DiariumStorage", dependencies: [
            "DiariumCore", "CDiariumSystem",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Use cases shared by every interface.
        .target(name: "DiariumServices", dependencies: ["DiariumCore", "DiariumStorage"]),
        // Command-line interface: translates arguments to use cases and errors to exit codes.
        .target(name: "DiariumCLI", dependencies: [
            "DiariumCore", "DiariumServices",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "diarium", dependencies: ["DiariumCLI"]),

        .target(name: "DiariumTesting", dependencies: ["DiariumCore", "DiariumStorage", "DiariumServices"],
                path: "Tests/DiariumTesting"),
        .testTarget(name: "DiariumCoreTests", dependencies: ["DiariumCore"]),
        .testTarget(name: "DiariumStorageTests", dependencies: [
            "DiariumStorage", "DiariumTesting", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "DiariumServicesTests", dependencies: [
            "DiariumServices", "DiariumTesting", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Runs the built `diarium` binary (the dependency makes `swift test` build it).
        .testTarget(name: "DiariumCLITests", dependencies: [
            "diarium", "DiariumTesting", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
