import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import TestRequirements
import XCTest

/// The exporter against the real charon of the lab, checked with strongSwan's own Python client.
final class ExporterAgainstLabTests: XCTestCase {
    func testScrapeMatchesPythonVICI() throws {
        let lab = try LabEnvironment.require()
        let before = try lab.pythonVICI("list-sas") as? [[String: Any]] ?? []
        let scrape = try ExpositionParser().parse(try lab.dump())
        let after = try lab.pythonVICI("list-sas") as? [[String: Any]] ?? []

        XCTAssertEqual(scrape.value("strongswan_up"), 1)
        // IKE_SAs per connection and state, as the independent client saw them (before == after when stable).
        func counts(_ sas: [[String: Any]]) -> [String: Int] {
            var result: [String: Int] = [:]
            for event in sas {
                for (conn, value) in event {
                    let state = (value as? [String: Any])?["state"] as? String ?? "?"
                    result[conn + "/" + state, default: 0] += 1
                }
            }
            return result
        }
        let expected = counts(after)
        XCTAssertEqual(counts(before), expected, "the lab changed during the test; rerun")
        XCTAssertGreaterThanOrEqual(expected.values.reduce(0, +), 50, "the lab should run at least 50 tunnels")
        for (key, count) in expected {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            XCTAssertEqual(
                scrape.value("strongswan_connection_ike_sas", ["conn": parts[0], "state": parts[1]]), Double(count), key)
        }
        XCTAssertEqual(scrape.samples(named: "strongswan_ike_sa_state").count, expected.values.reduce(0, +))

        // CHILD_SA byte counters: between the two reads, within what moved.
        for event in after {
            for (conn, value) in event {
                guard let sa = value as? [String: Any], let ikeID = sa["uniqueid"] as? String,
                      let children = sa["child-sas"] as? [String: Any] else { continue }
                for (_, childValue) in children {
                    guard let child = childValue as? [String: Any], let childID = child["uniqueid"] as? String,
                          let name = child["name"] as? String, let bytesIn = Double(child["bytes-in"] as? String ?? "")
                    else { continue }
                    let labels = ["conn": conn, "ike_id": ikeID, "child": name, "child_id": childID, "direction": "in"]
                    guard let scraped = scrape.value("strongswan_child_sa_bytes_total", labels) else {
                        XCTFail("no bytes series for \(labels)")
                        continue
                    }
                    XCTAssertLessThanOrEqual(scraped, bytesIn, "\(labels)")
                }
            }
        }
    }

    func testPoolsAndCountersMatchPythonVICI() throws {
        let lab = try LabEnvironment.require()
        let scrape = try ExpositionParser().parse(try lab.dump())
        let pools = try lab.pythonVICI("get-pools") as? [String: Any] ?? [:]
        XCTAssertFalse(pools.isEmpty, "the lab has a virtual IP pool")
        for (name, value) in pools {
            let pool = value as? [String: Any] ?? [:]
            XCTAssertEqual(scrape.value("strongswan_pool_addresses", ["pool": name]), Double(pool["size"] as? String ?? ""))
            XCTAssertEqual(
                scrape.value("strongswan_pool_leases", ["pool": name, "state": "online"]),
                Double(pool["online"] as? String ?? ""))
        }
        let counters = try lab.pythonVICI("get-counters", ["all=yes"]) as? [String: Any] ?? [:]
        let perConn = counters["counters"] as? [String: Any] ?? [:]
        XCTAssertFalse(perConn.isEmpty)
        for (conn, value) in perConn {
            let values = value as? [String: String] ?? [:]
            // IKE_SA_INIT requests sent by this gateway do not move once the lab is up.
            XCTAssertEqual(
                scrape.value("strongswan_connection_ike_messages_total",
                             ["conn": conn, "exchange": "ike_sa_init", "direction": "out", "type": "request"]),
                Double(values["ike-init-out-req"] ?? ""), conn)
        }
    }

    func testPromtoolCheckMetricsIsClean() throws {
        let lab = try LabEnvironment.require()
        let bytes = try lab.dump()
        try CIRequirement.requireExecutable("/usr/bin/promtool", from: "Debian package prometheus")
        let (status, output, errors) = try LabEnvironment.run("/usr/bin/promtool", ["check", "metrics"], stdin: Data(bytes))
        XCTAssertEqual(status, 0, errors)
        XCTAssertEqual(String(decoding: output, as: UTF8.self) + errors, "")
    }

    func testNoDuplicateSeries() throws {
        let lab = try LabEnvironment.require()
        // The strict parser rejects duplicate series; parsing is the check.
        let scrape = try ExpositionParser().parse(try lab.dump())
        XCTAssertGreaterThan(scrape.sampleCount, 100)
    }

    func testVICICommandPrintsTheRealVersion() throws {
        let lab = try LabEnvironment.require()
        let (status, output, errors) = try LabEnvironment.run(lab.exporter, ["vici", "--vici.socket", lab.gwVICI, "version"])
        XCTAssertEqual(status, 0, errors)
        let text = String(decoding: output, as: UTF8.self)
        let python = try lab.pythonVICI("version") as? [String: Any] ?? [:]
        XCTAssertTrue(text.contains("version=\(python["version"] as? String ?? "?")"), text)
        XCTAssertTrue(text.contains("daemon=charon"), text)
    }
}
