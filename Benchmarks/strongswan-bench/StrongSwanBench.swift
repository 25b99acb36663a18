import ArgumentParser
import BenchmarkSupport
import Foundation
import Logging
import NIOCore
import PrometheusExposition
import StrongSwanCollectors
import StrongSwanExporter
import VICI

/// Release-mode micro-benchmarks of the exporter's hot paths, on SAs synthesized from real lab captures:
/// VICI decode and encode, mapping SAs to models and metric families, encoding the exposition, gzip, and a
/// whole in-process poll. Prints a Markdown table (min and median of the repetitions, allocations per run).
///
///     swift build -c release --product strongswan-bench
///     LD_PRELOAD=.build/release/libMallocInterposerSwift.so .build/release/strongswan-bench --sas 10000
@main
struct StrongSwanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongswan-bench",
        abstract: "Micro-benchmarks of decoding, mapping, rendering and compressing N synthesized SAs.")

    @Option(name: .customLong("sas"), help: "Comma-separated numbers of IKE_SAs to benchmark.")
    var sizes: String = "10000"

    @Option(help: "How many of the SAs are site-to-site tunnels with a connection each (the rest are road warriors on one connection).")
    var sites: Int = SyntheticGateway.defaultSites

    @Option(help: "Timed repetitions of each phase (min and median are reported).")
    var repetitions: Int = 10

    @Option(help: "Package root holding the captured fixtures (default: found upwards from the working directory).")
    var root: String?

    @Option(help: "Only run the phases whose names contain one of these comma-separated words.")
    var only: String?

    mutating func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard !parsedSizes.isEmpty, parsedSizes.allSatisfy({ $0 >= 1 && $0 <= 1_000_000 }) else {
            throw ValidationError("--sas takes numbers between 1 and 1000000, e.g. 1000,10000")
        }
    }

    var parsedSizes: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let paths = FixturePaths(root: root)
        print("allocation counting: \(AllocationCounter.isActive ? "on (malloc interposer preloaded: times include its bookkeeping)" : "off (allocations: run with LD_PRELOAD=.../libMallocInterposerSwift.so)")")
        print("")
        print("| phase | SAs | min | median | throughput | allocations/run | allocations/SA | bytes kept/SA |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for size in parsedSizes {
            let charon = try SyntheticGateway(saCount: size, sites: sites, paths: paths)
            let suite = PhaseSuite(charon: charon, repetitions: repetitions, only: only)
            try await suite.run()
        }
    }
}
