import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import TestRequirements
import XCTest

/// The exporter against the real charon of the lab, checked with strongSwan's own Python client.
final class ExporterAgainstLabTests: XCTestCase {
    /// IKE_SAs per connection and by state, and the per-connection and per-tunnel timestamps, with the
    /// default flags (no per-SA family), as strongSwan's Python client reads them from the same daemon.
    func testScrapeMatchesPythonVICI() throws {
        let lab = try LabEnvironment.require()
        let before = try lab.pythonVICI("list-sas") as? [[String: Any]] ?? []
        let scrapedAt = Date().timeIntervalSince1970
        let scrape = try ExpositionParser().parse(try lab.dump())
        let after = try lab.pythonVICI("list-sas") as? [[String: Any]] ?? []

        XCTAssertEqual(scrape.value("strongswan_up"), 1)
        func counts(_ sas: [[String: Any]], _ key: (String, [String: Any]) -> String) -> [String: Int] {
            var result: [String: Int] = [:]
            for event in sas {
                for (conn, value) in event { result[key(conn, value as? [String: Any] ?? [:]), default: 0] += 1 }
            }
            return result
        }
        let byConnAndState = counts(after) { conn, sa in conn + "/" + (sa["state"] as? String ?? "?") }
        XCTAssertEqual(counts(before) { conn, sa in conn + "/" + (sa["state"] as? String ?? "?") }, byConnAndState,
                       "the lab changed during the test; rerun")
        XCTAssertGreaterThanOrEqual(byConnAndState.values.reduce(0, +), 50, "the lab should run at least 50 tunnels")
        for (conn, count) in counts(after, { conn, _ in conn }) {
            XCTAssertEqual(scrape.value("strongswan_connection_ike_sas", ["conn": conn]), Double(count), conn)
        }
        let byState = counts(after) { _, sa in sa["state"] as? String ?? "?" }
        for sample in scrape.samples(named: "strongswan_ike_sas_by_state") {
            let state = sample.label("state") ?? ""
            XCTAssertEqual(sample.value, Double(byState[state] ?? 0), state)
        }
        XCTAssertEqual(Set(byState.keys).subtracting(scrape.samples(named: "strongswan_ike_sas_by_state").compactMap { $0.label("state") }), [])
        XCTAssertNil(scrape.family(named: "strongswan_ike_sa_state"), "per-SA families are opt-in")
        XCTAssertNil(scrape.family(named: "strongswan_connection_ike_messages_total"), "per-connection counters are opt-in")

        // Timestamps: now minus charon's "seconds ago", within the seconds the dump took.
        for event in after {
            for (conn, value) in event {
                guard let sa = value as? [String: Any], sa["state"] as? String == "ESTABLISHED",
                      let ago = Double(sa["established"] as? String ?? ""),
                      counts(after, { c, _ in c })[conn] == 1 else { continue }
                let scraped = scrape.value("strongswan_connection_established_timestamp_seconds", ["conn": conn])
                XCTAssertEqual(scraped ?? 0, scrapedAt - ago, accuracy: 5, conn)
                for (_, childValue) in sa["child-sas"] as? [String: Any] ?? [:] {
                    guard let child = childValue as? [String: Any], child["state"] as? String == "INSTALLED",
                          let name = child["name"] as? String, let installed = Double(child["install-time"] as? String ?? "")
                    else { continue }
                    let value = scrape.value("strongswan_tunnel_installed_timestamp_seconds", ["conn": conn, "child": name])
                    XCTAssertEqual(value ?? 0, scrapedAt - installed, accuracy: 5, "\(conn)/\(name)")
                }
            }
        }
    }

    /// The algorithm suites as swanctl itself prints them (`swanctl --list-sas`: the IKE_SA's proposal line and
    /// the CHILD_SA's `ESP:` part, without its DH group, which the Python client names).
    func testAlgorithmSuitesMatchSwanctl() throws {
        let lab = try LabEnvironment.require()
        try CIRequirement.requireExecutable("/usr/sbin/swanctl", from: "Debian package strongswan-swanctl")
        let scrape = try ExpositionParser().parse(try lab.dump())
        let (status, output, errors) = try LabEnvironment.run("/usr/sbin/swanctl", ["--list-sas", "--uri", lab.gwVICI])
        XCTAssertEqual(status, 0, errors)
        let python = try lab.pythonVICI("list-sas") as? [[String: Any]] ?? []
        var childDH: Set<String> = []
        for event in python {
            for (_, value) in event {
                for (_, child) in (value as? [String: Any])?["child-sas"] as? [String: Any] ?? [:] {
                    if let dh = (child as? [String: Any])?["dh-group"] as? String { childDH.insert(dh) }
                }
            }
        }
        var expected: Set<String> = []
        var conn = "", ike = "", lines = 0
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" "), let colon = line.firstIndex(of: ":") {
                conn = String(line[..<colon])
                lines = 0
                continue
            }
            lines += 1
            if lines == 3, line.hasPrefix("  "), !line.hasPrefix("   ") { ike = line.trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("  "), !line.hasPrefix("   "), line.contains(", INSTALLED, "), let range = line.range(of: "ESP:") {
                let child = String(line.dropFirst(2).prefix { $0 != ":" })
                let esp = line[range.upperBound...].split(separator: "/").map(String.init).filter { !childDH.contains($0) && $0 != "ESN" }
                expected.insert("\(conn) \(child) \(ike) \(esp.joined(separator: "/"))")
            }
        }
        let scraped = Set(scrape.samples(named: "strongswan_tunnel_algorithms_info").map {
            "\($0.label("conn") ?? "") \($0.label("child") ?? "") \($0.label("ike") ?? "") \($0.label("esp") ?? "")"
        })
        XCTAssertGreaterThanOrEqual(expected.count, 50, String(decoding: output, as: UTF8.self).prefix(2_000).description)
        XCTAssertEqual(scraped, expected)
    }

    /// With `--collector.sas.per-sa` the per-SA families come back: one state series per IKE_SA, CHILD_SA byte
    /// counters within what the Python client read just after.
    func testPerSAFamiliesAreOptIn() throws {
        let lab = try LabEnvironment.require()
        let scrape = try ExpositionParser().parse(try lab.dump(["--collector.sas.per-sa"]))
        let after = try lab.pythonVICI("list-sas") as? [[String: Any]] ?? []
        XCTAssertEqual(scrape.samples(named: "strongswan_ike_sa_state").count, after.reduce(0) { $0 + $1.count })
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
        let scrape = try ExpositionParser().parse(try lab.dump(["--collector.counters.per-conn"]))
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
