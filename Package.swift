// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "diarium",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "diarium", targets: ["diarium"]),
        .executable(name: "diarium-bench", targets: ["diarium-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // No default traits: Diarium does not read its configuration through swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Hummingbird's own; named for the server's background redelivery of interchanges (a service beside it).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Domain: types, rules, errors. Foundation only, no I/O.
        .target(name: "DiariumCore"),
        // The few libc calls Swift's Glibc module does not expose.
        .target(name: "CDiariumSystem"),
        // The FTS5 ranking function (FTS5 takes auxiliary functions in C only), registered by DiariumStorage, which
        // is SQLite's one wrapper (through GRDB, which links the library).
        .target(name: "CDiariumSearch"),
        // Content-addressed blob store and the SQLite catalog (GRDB): migrations, audit chain.
        .target(name: "DiariumStorage", dependencies: [
            "DiariumCore", "CDiariumSystem", "CDiariumSearch",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // C libraries, each imported by exactly one wrapper target.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The only importer of libxml2: safe parsing (no external entities, no network), text walking.
        .target(name: "DiariumXML", dependencies: ["DiariumCore", "CLibXML2"]),
        // The only importer of libarchive: secure reading (and later streaming writing) of zip/tar.
        .target(name: "DiariumPackage", dependencies: ["DiariumCore", "CArchive", "CDiariumSystem"]),
        // The only importer of libcurl: one bounded HTTP(S) POST (deliveries to a party's inbox).
        .target(name: "DiariumHTTPClient", dependencies: ["CCurl"]),
        // Text renditions of content for the search index: plain text, HTML, XML, OOXML, ODF, PDF.
        .target(name: "DiariumExtraction", dependencies: ["DiariumCore", "DiariumXML", "DiariumPackage"]),
        // Standard formats: E-ARK packages (METS, ERMS, PREMIS), BagIt, exchange envelopes and receipts, EDIFACT.
        .target(name: "DiariumExchange", dependencies: [
            "DiariumCore", "DiariumXML", "DiariumPackage", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Use cases shared by every interface.
        .target(name: "DiariumServices", dependencies: [
            "DiariumCore", "CDiariumSystem", "DiariumStorage", "DiariumExtraction", "DiariumExchange", "DiariumHTTPClient",
        ]),
        // HTTP interface (Hummingbird 2): translates requests to use cases and errors to problem+json.
        .target(name: "DiariumHTTP", dependencies: [
            "DiariumCore", "DiariumStorage", "DiariumExchange", "DiariumServices",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Command-line interface: translates arguments to use cases and errors to exit codes.
        .target(name: "DiariumCLI", dependencies: [
            "DiariumCore", "DiariumExchange", "DiariumServices", "DiariumHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "diarium", dependencies: ["DiariumCLI"]),
        // Benchmarks through the library API (see Benchmarks/README.md); not shipped.
        .executableTarget(name: "diarium-bench", dependencies: [
            "DiariumCore", "DiariumStorage", "DiariumServices", "DiariumExchange", "DiariumExtraction", "DiariumXML",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], path: "Sources/DiariumBench"),
        // Parsers of untrusted input driven with arbitrary bytes: the targets (also run by the tests) and
        // `diarium-fuzz`, which replays inputs or hands a target to libFuzzer (Tests/DiariumFuzzingTests/README.md).
        .target(name: "DiariumFuzzing", dependencies: [
            "DiariumCore", "DiariumXML", "DiariumPackage", "DiariumExchange", "DiariumExtraction", "DiariumHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "diarium-fuzz", dependencies: ["DiariumFuzzing"], path: "Sources/DiariumFuzz"),

        .target(name: "DiariumTesting", dependencies: ["DiariumCore", "DiariumStorage", "DiariumServices"],
                path: "Tests/DiariumTesting"),
        .testTarget(name: "DiariumCoreTests", dependencies: ["DiariumCore"]),
        .testTarget(name: "DiariumXMLTests", dependencies: ["DiariumXML", "DiariumTesting"]),
        .testTarget(name: "DiariumPackageTests", dependencies: ["DiariumPackage", "DiariumTesting"]),
        .testTarget(name: "DiariumExchangeTests", dependencies: ["DiariumExchange", "DiariumTesting"]),
        .testTarget(name: "DiariumExtractionTests", dependencies: ["DiariumExtraction", "DiariumTesting"]),
        .testTarget(name: "DiariumStorageTests", dependencies: [
            "DiariumStorage", "DiariumTesting", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "DiariumServicesTests", dependencies: [
            "DiariumServices", "DiariumTesting", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "DiariumHTTPTests", dependencies: [
            "DiariumHTTP", "DiariumTesting",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "DiariumFuzzingTests", dependencies: ["DiariumFuzzing", "DiariumExchange", "DiariumExtraction", "DiariumTesting"],
                    exclude: ["Seeds", "Regressions", "README.md"]),
        // Runs the built `diarium` binary (the dependency makes `swift test` build it).
        .testTarget(name: "DiariumCLITests", dependencies: [
            "diarium", "DiariumTesting", "DiariumStorage", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
