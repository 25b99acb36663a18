import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import VICI
import XCTest

/// Every collector over VICI exchanges captured from the real lab charon (see Fixtures/lab/README.md), rendered
/// with a fixed clock and compared byte for byte with the golden exposition `Fixtures/lab/golden.prom`.
/// Set UPDATE_GOLDEN=1 to rewrite the golden file after checking the differences against the daemon.
/// That the golden values are what charon reported is ``GoldenFactsTests``' job.
final class GoldenExpositionTests: XCTestCase {
    static let files = [
        "version": "version.vici",
        "stats": "stats.vici",
        "list-sas": "list-sas.vici",
        "list-conns": "list-conns.vici",
        "list-policies trap=yes": "list-policies-trap.vici",
        "get-counters all=yes": "get-counters-all.vici",
        "get-counters": "get-counters.vici",
        "get-pools": "get-pools.vici",
        "list-certs": "list-certs.vici",
        "get-conns": "get-conns.vici",
        "list-authorities": "list-authorities.vici",
        "list-certs type=X509 subject=C=CH, O=strongswan-lab, CN=strongswan-lab Second CA": "list-certs-subject-second-ca.vici",
    ]
    /// The unix time at which the fixtures were captured (from Fixtures/lab/README.md).
    static let capturedAt: Double = 1_795_607_375

    func fixtures() throws -> URL {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return url.appendingPathComponent("lab")
    }

    /// `optIn`: per-SA families and per-connection counters on (`golden.prom`), else the default flags
    /// (`golden-default.prom`). `summarized`: keep only ``SASummary``s of the SAs, as the exporter does when
    /// per-SA families are off.
    func render(optIn: Bool, summarized: Bool = false) async throws -> [UInt8] {
        setenv("TZ", "UTC", 1)
        tzset()
        let vici = FixtureVICI(directory: try fixtures(), files: Self.files)
        var state = CharonState()
        for name in CollectorCatalogue.names {
            try await CollectorCatalogue.collect(
                name, from: vici, options: CollectOptions(perConnectionCounters: optIn), into: &state)
        }
        if summarized {
            let sas = try XCTUnwrap(state.sas)
            XCTAssertGreaterThan(sas.count, 0)
            state.sas = sas.summarized()
        }
        var metrics = MetricSet()
        CollectorCatalogue.render(
            state, enabled: Set(CollectorCatalogue.names), context: RenderContext(now: Self.capturedAt, perSA: optIn, perConnectionCounters: optIn),
            into: &metrics)
        XCTAssertEqual(metrics.droppedSampleCount, 0, "no duplicate series")
        return metrics.encoded()
    }

    func check(_ bytes: [UInt8], against name: String, sourceFile: StaticString = #filePath) throws {
        // The golden files are read from (and, with UPDATE_GOLDEN=1, written to) the source tree.
        let golden = URL(fileURLWithPath: "\(sourceFile)").deletingLastPathComponent()
            .appendingPathComponent("Fixtures/lab").appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(bytes).write(to: golden)
        }
        let expected = try Data(contentsOf: golden)
        if Data(bytes) != expected {
            let actual = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            let wanted = String(decoding: expected, as: UTF8.self).split(separator: "\n")
            let firstDifference = zip(actual, wanted).enumerated().first { $0.element.0 != $0.element.1 }
            XCTFail("\(name) differs; first difference at line \((firstDifference?.offset ?? min(actual.count, wanted.count)) + 1): \(firstDifference.map { "got \($0.element.0) want \($0.element.1)" } ?? "lengths \(actual.count) vs \(wanted.count)")")
        }
    }

    func testLabFixturesRenderToGoldenExposition() async throws {
        try check(try await render(optIn: true), against: "golden.prom")
    }

    func testDefaultFlagsRenderNoPerSAFamilyNorPerConnectionCounter() async throws {
        let bytes = try await render(optIn: false)
        try check(bytes, against: "golden-default.prom")
        let parsed = try ExpositionParser().parse(bytes)
        XCTAssertNil(parsed.family(named: "strongswan_ike_sa_info"))
        XCTAssertNil(parsed.family(named: "strongswan_child_sa_bytes_total"))
        XCTAssertNil(parsed.family(named: "strongswan_connection_ike_messages_total"))
        XCTAssertNotNil(parsed.family(named: "strongswan_connection_ike_sas"))
        XCTAssertNotNil(parsed.family(named: "strongswan_tunnel_up"))
        XCTAssertNotNil(parsed.family(named: "strongswan_ike_messages_total"), "the global counters stay")
    }

    /// What the exporter keeps without per-SA families (summaries instead of the models) renders the same
    /// aggregates, byte for byte.
    func testSummarizedSAsRenderTheSameAggregates() async throws {
        try check(try await render(optIn: false, summarized: true), against: "golden-default.prom")
    }
}
