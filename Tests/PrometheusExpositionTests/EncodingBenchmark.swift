import Foundation
import PrometheusExposition
import Testing

/// A measurement run by hand, not a timed test:
///
///     EXPOSITION_BENCHMARK=1 swift test -c release --filter EncodingBenchmark
///
/// It prints how long building, encoding and parsing 500,000 samples with 4 labels take.
@Suite struct EncodingBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["EXPOSITION_BENCHMARK"] != nil

    @Test(.enabled(if: enabled, "set EXPOSITION_BENCHMARK=1 (and use -c release) to measure"))
    func encodeAndParse500kSamplesWith4Labels() throws {
        let count = 500_000
        // Label values prepared outside the measurement, as the exporter has them in its mirror.
        let conns = (0..<1_000).map { "site-to-site-\($0)" }
        let uniqueIDs = (0..<count / 2).map { String($0 + 1_000_000) }
        let remotes = (0..<count / 2).map { "198.51.\($0 / 256 % 256).\($0 % 256)" }
        let clock = ContinuousClock()

        var family = try MetricFamily(
            name: "strongswan_child_sa_bytes_total", help: "Bytes through the CHILD_SA.", type: .counter,
            labelNames: ["conn", "uniqueid", "remote", "direction"]
        )
        let build = clock.measure {
            family.reserveCapacity(count)
            for index in 0..<count / 2 {
                let base = Double(UInt64(index) &* 2_654_435_761 % 1_000_000_000_000)
                family.add(base, [conns[index % conns.count], uniqueIDs[index], remotes[index], "in"])
                family.add(base + 0.5 * Double(index % 2), [conns[index % conns.count], uniqueIDs[index], remotes[index], "out"])
            }
        }
        #expect(family.sampleCount == count)

        var bytes: [UInt8] = []
        var encodeTimes: [Duration] = []
        for _ in 0..<5 {
            var buffer: [UInt8] = []
            encodeTimes.append(clock.measure { ExpositionEncoder.encode([family], into: &buffer) })
            bytes = buffer
        }
        var parsed: ParsedExposition?
        let parse = try clock.measure { parsed = try ExpositionParser().parse(bytes) }
        #expect(parsed?.sampleCount == count)

        print("""
            EncodingBenchmark: \(count) samples, 4 labels, \(bytes.count) bytes (\(bytes.count / count) per sample)
              build (add with duplicate check): \(build)
              encode: best \(encodeTimes.min()!), all \(encodeTimes)
              parse (strict, with duplicate check): \(parse)
            """)
    }
}
