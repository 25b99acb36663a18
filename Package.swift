// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "strongswan_exporter",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "VICI", targets: ["VICI"]),
        .library(name: "PrometheusExposition", targets: ["PrometheusExposition"]),
        .executable(name: "strongswan_exporter", targets: ["strongswan_exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Layer 1: the VICI protocol client (framing, packets, messages, connection, commands).
        .target(
            name: "VICI",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Layer 1: Prometheus text exposition model and encoder (no dependencies).
        .target(name: "PrometheusExposition"),
        // Layer 1: the records of charon's error-notify socket (framing, decoding, the reason vocabulary);
        // pure, no dependencies (the fuzzer compiles it on its own).
        .target(name: "ErrorNotify"),
        // Tests only (not in any product): the strict exposition parser that tests, lab tests and the
        // fuzzer (scripts/fuzz.sh) read our output back with.
        .target(name: "PrometheusExpositionTesting", dependencies: ["PrometheusExposition"]),
        // Layer 1: libsystemd (sd_notify, sd_listen_fds), found through pkg-config.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // Layer 1: libcrypt (crypt_r for bcrypt password hashes in the web config).
        .systemLibrary(name: "CCrypt"),
        // Layer 1: libyaml (Debian's libyaml-0-2), the YAML parser of the web config file, through its event API.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Layer 1: zlib (deflate and inflate of the snapshot's gzip body, CRC-32 and its combination for
        // completing gzip members per request).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Layer 1: glibc's <malloc.h> (malloc_trim after polls and large renderings).
        .systemLibrary(name: "CMalloc"),
        // Tests and benchmarks only (no product, no shipped target depends on it): the one fake charon, a VICI
        // server on a unix socket played by a script.
        .target(
            name: "TestSupport",
            dependencies: [
                "VICI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        // Tests only: what a test does when a tool or privilege it needs is missing (fails under CI=true).
        .target(name: "TestRequirements", path: "Tests/TestRequirements"),
        // Layer 2: pure mappings from VICI messages to metric families.
        .target(
            name: "StrongSwanCollectors",
            dependencies: [
                "VICI",
                "ErrorNotify",
                "PrometheusExposition",
                // X.509 certificates; DER for what swift-certificates does not parse (CRLs, OCSP responses,
                // attribute certificates, names rendered as RFC 4514 says); SHA-1 for key identifiers and
                // OCSP issuer-name hashes.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Layer 2: the HTTP server (routing, connection guard, limits, TLS, web config, basic auth, rate
        // limiting); it knows nothing of strongSwan: the exporter supplies the metrics responder and routes.
        .target(
            name: "ExporterHTTP",
            dependencies: [
                "CCrypt",
                "CYAML",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Layer 3: services (poller, event cache, snapshot store and its gzip body, systemd) and wiring.
        .target(
            name: "StrongSwanExporter",
            dependencies: [
                "VICI",
                "ErrorNotify",
                "PrometheusExposition",
                "StrongSwanCollectors",
                "ExporterHTTP",
                "CSystemd",
                "CZlib",
                "CMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Layer 4: command line only.
        .executableTarget(
            name: "strongswan_exporter",
            dependencies: [
                "StrongSwanExporter",
                "StrongSwanCollectors",
                "VICI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Release binaries: no dynamic symbol table (nothing loads symbols from the exporter) and
            // relocations packed as RELR (lld; glibc >= 2.36), keeping it position-independent. Together
            // these map ~4 MiB less per process: gold's 119,000 RELA entries (2.8 MB) and the export
            // tables (1.8 MB) were read at every start. `-z now` (with lld's default `-z relro`: full RELRO) binds
            // every dynamic symbol at start and leaves the GOT read-only, as Debian's hardening flags do.
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z",
                              "-Xlinker", "pack-relative-relocs", "-Xlinker", "-z", "-Xlinker", "now"],
                             .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        .testTarget(
            name: "VICITests",
            dependencies: [
                "VICI", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ErrorNotifyTests", dependencies: ["ErrorNotify"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "PrometheusExpositionTests",
            dependencies: ["TestRequirements", "PrometheusExposition", "PrometheusExpositionTesting"]
        ),
        .testTarget(
            name: "StrongSwanCollectorsTests",
            dependencies: ["TestRequirements", "ErrorNotify",
                "StrongSwanCollectors", "VICI", "PrometheusExposition", "PrometheusExpositionTesting",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Helpers for tests that talk HTTP to a server: a raw client, a server in a task, child processes.
        .target(
            name: "HTTPTestSupport",
            dependencies: [
                "ExporterHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/HTTPTestSupport"
        ),
        .testTarget(
            name: "ExporterHTTPTests",
            dependencies: [
                "ExporterHTTP",
                "HTTPTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "StrongSwanExporterTests",
            dependencies: ["TestRequirements", "ErrorNotify",
                "StrongSwanExporter",
                "ExporterHTTP",
                "HTTPTestSupport",
                "TestSupport",
                "StrongSwanCollectors",
                "VICI",
                "PrometheusExposition",
                "PrometheusExpositionTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Benchmarks (release mode; see BENCHMARKS.md): SAs synthesized from lab captures, a synthetic charon
        // serving them over VICI, and the micro-benchmarks.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "VICI", "StrongSwanCollectors", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/BenchmarkSupport"
        ),
        .executableTarget(
            name: "fake-charon",
            dependencies: [
                "BenchmarkSupport", "TestSupport", "VICI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/fake-charon"
        ),
        .executableTarget(
            name: "strongswan-bench",
            dependencies: [
                "BenchmarkSupport", "VICI", "PrometheusExposition", "StrongSwanCollectors", "StrongSwanExporter",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/strongswan-bench"
        ),
        // Tests against a real charon (the lab); they read LAB_* environment variables set by `make test`.
        .testTarget(
            name: "LabTests",
            dependencies: ["TestRequirements", "ErrorNotify",
                "VICI", "TestSupport",
                "StrongSwanExporter",
                "StrongSwanCollectors",
                "PrometheusExposition",
                "PrometheusExpositionTesting",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
