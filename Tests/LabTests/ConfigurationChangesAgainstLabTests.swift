import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import XCTest

/// The configuration clock against the real charon: a connection loaded with `swanctl --load-conns` while
/// the exporter runs shows up on the next poll (the every-poll `get-conns` probe sees it, long before the
/// 5-minute configuration interval), and disappears on the next poll once it is unloaded again.
final class ConfigurationChangesAgainstLabTests: XCTestCase {
    func testLoadedAndUnloadedConnectionsShowWithinAPoll() throws {
        let lab = try LabEnvironment.require()
        let gwDirectory = URL(fileURLWithPath: String(lab.gwVICI.dropFirst("unix://".count))).deletingLastPathComponent()
        let original = gwDirectory.appendingPathComponent("swanctl/swanctl.conf").path
        let text = try String(contentsOfFile: original, encoding: .utf8)
        guard let open = text.range(of: "connections {\n") else { throw LabError("no connections section in \(original)") }
        // A connection to an address nobody answers on, never started: tunnel_up 0.
        let extra = """
                site-extra {
                    version = 2
                    local_addrs = 192.168.77.1
                    remote_addrs = 192.168.77.250
                    local { auth = psk
                            id = site-extra.gw.lab.test }
                    remote { auth = psk
                             id = site-extra.peer.lab.test }
                    children { net-extra { local_ts = 10.1.250.1/32
                                           remote_ts = 10.2.250.1/32 } }
                }

            """
        // Next to the original: its certificate paths are relative to the file's directory.
        let withExtra = gwDirectory.appendingPathComponent("swanctl/swanctl-extra-\(getpid()).conf").path
        try (String(text[..<open.upperBound]) + extra + String(text[open.upperBound...])).write(
            toFile: withExtra, atomically: true, encoding: .utf8)
        defer {
            _ = try? LabEnvironment.run(lab.script, ["swanctl", "--load-conns", "--file", original])
            try? FileManager.default.removeItem(atPath: withExtra)
        }

        let exporter = try ExporterProcess(lab: lab, arguments: ["--poll.interval", "1s"])
        defer { _ = exporter.stop() }
        func polls() throws -> Double {
            try exporter.scrape().value("strongswan_exporter_polls_total", ["result": "success"]) ?? 0
        }
        func extraTunnel() throws -> Double? {
            try exporter.scrape().value("strongswan_tunnel_up", ["conn": "site-extra", "child": "net-extra"])
        }
        XCTAssertNil(try extraTunnel())

        // Each check reads the poll count from the same scrape that first shows the change (one rendering per
        // poll), so it counts polls, not seconds: the poll running when swanctl returned may have missed the
        // change; the one after it, which started after swanctl returned, must not.
        func pollsWhen(_ what: String, _ condition: (Double?) -> Bool) throws -> Double {
            let scrape = try exporter.firstScrape(what, timeout: 60) {
                condition($0.value("strongswan_tunnel_up", ["conn": "site-extra", "child": "net-extra"]))
            }
            return try XCTUnwrap(scrape.value("strongswan_exporter_polls_total", ["result": "success"]))
        }
        try load(lab, withExtra)
        let loadedAt = try polls()
        XCTAssertLessThanOrEqual(try pollsWhen("site-extra listed") { $0 == 0 }, loadedAt + 2,
                                 "site-extra appeared within one poll of being loaded")
        XCTAssertNotNil(try exporter.scrape().value("strongswan_connection_ike_sas", ["conn": "site-extra"]))

        try load(lab, original)
        let unloadedAt = try polls()
        XCTAssertLessThanOrEqual(try pollsWhen("site-extra gone") { $0 == nil }, unloadedAt + 2,
                                 "site-extra disappeared within one poll of being unloaded")
        XCTAssertEqual(try exporter.scrape().value("strongswan_tunnel_up", ["conn": "site-0001", "child": "net-0001"]), 1,
                       "reloading the same configuration leaves the other tunnels up")
    }

    func load(_ lab: LabEnvironment, _ file: String) throws {
        let (status, output, errors) = try LabEnvironment.run(lab.script, ["swanctl", "--load-conns", "--file", file])
        guard status == 0 else {
            throw LabError("swanctl --load-conns --file \(file) exited \(status): \(String(decoding: output, as: UTF8.self)) \(errors)")
        }
    }
}
