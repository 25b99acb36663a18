import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import TestRequirements
import XCTest

/// The golden expositions (Fixtures/lab/golden.prom, golden-default.prom) are the collectors' own output:
/// ``GoldenExpositionTests`` only shows that the output has not changed. This test shows that it is right: it
/// compares the golden samples with values read from the same captures without the exporter's decoder.
/// Fixtures/lab/golden_facts.py decodes the `.vici` captures with strongSwan's own Python client (PyPI `vici`)
/// and the certificates with `openssl x509`, and lists, family by family, the series and values the golden files
/// must hold (counts by state, byte and packet counters, timestamps computed from charon's ages and countdowns
/// against the golden files' fixed clock, pools, certificate validity, …). The facts Fixtures/lab/README.md says
/// were checked against the daemon at capture time are also stated here literally.
///
/// Needs python3 with the `vici` package and openssl (`make deps` installs them): without them the test is
/// skipped, and fails under CI=true (``CIRequirement``).
final class GoldenFactsTests: XCTestCase {
    struct Facts: Decodable {
        struct Daemon: Decodable {
            struct Pool: Decodable { var size: Int; var online: Int }
            var ike_sas: Int
            var ike_sas_by_conn: [String: Int]
            var bytes_out_by_conn: [String: Int]
            var since: String
            var running: String
            var pools: [String: Pool]
            var trap_policies: [String]
            var conns: [String]
        }
        struct Family: Decodable {
            struct Sample: Decodable { var labels: [String: String]; var value: Double }
            /// "exact": the family's series are exactly these; "nonzero": its non-zero series are.
            var name: String
            var match: String
            var samples: [Sample]
        }
        /// Raw values from the captures that the README's checked facts are about.
        var daemon: Daemon
        /// Families in both golden files.
        var aggregate: [Family]
        /// Families only with per-SA families on (golden.prom).
        var opt_in: [Family]
    }

    static let lab = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/lab")

    /// Runs a program through /usr/bin/env: (exit status, stdout, stderr).
    static func run(_ arguments: [String]) throws -> (status: Int32, output: Data, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("golden-facts-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }

    /// golden_facts.py's output, read once for all tests.
    static let facts = Result<Facts, any Error> { try readFacts() }

    func facts() throws -> Facts { try Self.facts.get() }

    static func readFacts() throws -> Facts {
        try CIRequirement.require(
            try Self.run(["python3", "-c", "import vici.protocol"]).status == 0,
            "python3 with strongSwan's `vici` package (pip install vici; `make deps`)")
        try CIRequirement.require(try Self.run(["openssl", "version"]).status == 0, "openssl (Debian package openssl)")
        let result = try Self.run([
            "python3", Self.lab.appendingPathComponent("golden_facts.py").path, Self.lab.path,
            String(Int64(GoldenExpositionTests.capturedAt)),
        ])
        guard result.status == 0 else {
            throw ScriptFailure(description: "golden_facts.py exited \(result.status): \(result.errors)")
        }
        return try JSONDecoder().decode(Facts.self, from: result.output)
    }

    func golden(_ name: String) throws -> ParsedExposition {
        try ExpositionParser().parse(Array(try Data(contentsOf: Self.lab.appendingPathComponent(name))))
    }

    /// Asserts that `exposition` holds each family as `family` says (see ``Facts/Family``).
    func check(_ family: Facts.Family, in exposition: ParsedExposition, of file: String) {
        XCTAssertFalse(family.samples.isEmpty, "golden_facts.py lists no samples for \(family.name)")
        var expected: [SeriesKey: Double] = [:]
        for sample in family.samples {
            let key = SeriesKey(name: family.name, sample.labels)
            XCTAssertNil(expected.updateValue(sample.value, forKey: key), "golden_facts.py lists \(key) twice")
        }
        var actual: [SeriesKey: Double] = [:]
        for sample in exposition.samples(named: family.name) where family.match == "exact" || sample.value != 0 {
            actual[SeriesKey(name: sample.name, labels: sample.labels)] = sample.value
        }
        let wrong = expected.filter { actual[$0.key] != $0.value }.map { "\($0.key) is \(actual[$0.key].map { "\($0)" } ?? "missing"), charon said \($0.value)" }
        let extra = actual.keys.filter { expected[$0] == nil }.map { "\($0) \(actual[$0] ?? 0) is not in charon's data" }
        XCTAssertTrue(wrong.isEmpty && extra.isEmpty,
                      "\(file), \(family.name) (\(family.match)):\n" + (wrong + extra).sorted().joined(separator: "\n"))
    }

    func testGoldenExpositionStatesWhatCharonReported() throws {
        let facts = try facts()
        let golden = try golden("golden.prom")
        for family in facts.aggregate + facts.opt_in { check(family, in: golden, of: "golden.prom") }
        XCTAssertGreaterThanOrEqual(facts.aggregate.count + facts.opt_in.count, 40, "families with independent facts")
    }

    /// The default flags: no per-SA family and no per-connection counter, everything else as charon said.
    func testGoldenWithDefaultFlagsStatesWhatCharonReported() throws {
        let facts = try facts()
        let golden = try golden("golden-default.prom")
        for family in facts.aggregate { check(family, in: golden, of: "golden-default.prom") }
        for family in facts.opt_in {
            XCTAssertNil(golden.family(named: family.name), "\(family.name) is opt-in")
        }
    }

    /// The facts Fixtures/lab/README.md says were checked against the daemon at capture time, in the captures
    /// (read by the Python client) and in golden.prom.
    func testFactsCheckedAgainstTheDaemonAtCaptureTime() throws {
        let facts = try facts()
        let daemon = facts.daemon
        let golden = try golden("golden.prom")
        // 3 datagrams of 1000 bytes through site-0001 and 1 through site-0002, each with 28 bytes of IPv4/UDP
        // headers, gw out.
        XCTAssertEqual(daemon.bytes_out_by_conn["site-0001"], 3 * 1_028)
        XCTAssertEqual(daemon.bytes_out_by_conn["site-0002"], 1_028)
        for (conn, child, bytes) in [("site-0001", "net-0001", 3_084.0), ("site-0002", "net-0002", 1_028)] {
            let sample = golden.samples(named: "strongswan_child_sa_bytes_total").first {
                $0.labels.contains(Label("conn", conn)) && $0.labels.contains(Label("child", child))
                    && $0.labels.contains(Label("direction", "out"))
            }
            XCTAssertEqual(sample?.value, bytes, conn)
        }
        // `stats`: since Nov 25 11:49:31 2026 (UTC), running 3 s.
        XCTAssertEqual(daemon.since, "Nov 25 11:49:31 2026")
        XCTAssertEqual(daemon.running, "3 seconds")
        XCTAssertEqual(golden.value("strongswan_start_time_seconds"), 1_795_607_371)
        // 5 IKE_SAs: 3 site-to-site and 2 road warriors.
        XCTAssertEqual(daemon.ike_sas, 5)
        XCTAssertEqual(daemon.ike_sas_by_conn, ["site-0001": 1, "site-0002": 1, "site-0003": 1, "rw": 2])
        XCTAssertEqual(golden.value("strongswan_ike_sas"), 5)
        // rw-pool: 254 addresses, 2 leases online.
        XCTAssertEqual(daemon.pools["rw-pool"]?.size, 254)
        XCTAssertEqual(daemon.pools["rw-pool"]?.online, 2)
        XCTAssertEqual(golden.value("strongswan_pool_addresses", ["pool": "rw-pool"]), 254)
        XCTAssertEqual(golden.value("strongswan_pool_leases", ["pool": "rw-pool", "state": "online"]), 2)
        // site-trap has a trap policy and is a trap tunnel; rw is a responder; site-dead is site-to-site and down.
        XCTAssertEqual(daemon.trap_policies, ["site-trap/trap-net"])
        XCTAssertEqual(daemon.conns, ["site-0001", "site-0002", "site-0003", "site-trap", "site-dead", "rw"])
        let kinds = Dictionary(
            golden.samples(named: "strongswan_tunnel_info").compactMap { sample -> (String, String)? in
                guard let conn = sample.labels.first(where: { $0.name == "conn" })?.value,
                      let kind = sample.labels.first(where: { $0.name == "kind" })?.value else { return nil }
                return (conn, kind)
            },
            uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(kinds["site-trap"], "trap")
        XCTAssertEqual(kinds["rw"], "responder")
        XCTAssertEqual(kinds["site-dead"], "site_to_site")
        XCTAssertEqual(golden.value("strongswan_tunnel_up", ["conn": "site-dead", "child": "dead-net"]), 0)
    }
}

/// `golden_facts.py` ran but failed (a decoding error, not a missing tool).
private struct ScriptFailure: Error, CustomStringConvertible {
    let description: String
}
