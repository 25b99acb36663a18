import Foundation
import PrometheusExposition
import XCTest

/// The long-running agent against the real lab: events make tunnel state instant, charon restarts are
/// survived without restarting the exporter, and nothing leaks across them.
final class AgentAgainstLabTests: XCTestCase {
    func testTerminatedTunnelReadsDownWithinOneSecondAndUpAgain() throws {
        let lab = try LabEnvironment.require()
        // A 60 s poll interval: only the event connection can make the change visible within a second.
        let exporter = try ExporterProcess(lab: lab, arguments: ["--poll.interval", "60s"])
        defer { _ = exporter.stop() }
        let tunnel = ["conn": "site-0001", "child": "net-0001"]
        XCTAssertEqual(try exporter.scrape().value("strongswan_tunnel_up", tunnel), 1)

        try LabEnvironment.run(lab.script, ["terminate", "1"])
        let down = try exporter.waitFor("tunnel down", timeout: 10) {
            try exporter.scrape().value("strongswan_tunnel_up", tunnel) == 0
        }
        XCTAssertLessThan(down, 1.0, "tunnel_up must read 0 within a second of the terminate (took \(down) s)")

        try LabEnvironment.run(lab.script, ["initiate", "1"])
        let up = try exporter.waitFor("tunnel up", timeout: 10) {
            try exporter.scrape().value("strongswan_tunnel_up", tunnel) == 1
        }
        XCTAssertLessThan(up, 1.0, "tunnel_up must read 1 within a second of the initiate (took \(up) s)")
        // The other tunnels never went down.
        XCTAssertEqual(try exporter.scrape().value("strongswan_tunnel_up", ["conn": "site-0002", "child": "net-0002"]), 1)
    }

    func testCharonRestartsAreSurvivedWithoutLeaks() throws {
        let lab = try LabEnvironment.require()
        let restarts = Int(ProcessInfo.processInfo.environment["LAB_RESTARTS"] ?? "") ?? 20
        let exporter = try ExporterProcess(lab: lab, arguments: ["--poll.interval", "1s"])
        defer { _ = exporter.stop() }
        var fdsAfterRestart: [Double] = []
        for round in 1...restarts {
            try LabEnvironment.run(lab.script, ["stop", "gw"])
            try exporter.waitFor("strongswan_up 0 (round \(round))", timeout: 10) {
                let scrape = try exporter.scrape()   // throws unless 200
                return scrape.value("strongswan_up") == 0
            }
            let (status, _, errors) = try LabEnvironment.run(lab.script, ["start", "gw"])
            XCTAssertEqual(status, 0, errors)
            try exporter.waitFor("all tunnels up again (round \(round))", timeout: 60) {
                let scrape = try exporter.scrape()
                guard scrape.value("strongswan_up") == 1 else { return false }
                let tunnels = scrape.samples(named: "strongswan_tunnel_up").filter { $0.label("conn")?.hasPrefix("site-0") == true }
                return !tunnels.isEmpty && tunnels.allSatisfy { $0.value == 1 }
            }
            // Give the event follower its backoff to resubscribe, then read fds.
            try exporter.waitFor("event subscription restored (round \(round))", timeout: 40) {
                exporter.log.components(separatedBy: "event subscription restored").count - 1 >= round
            }
            if let fds = try exporter.scrape().value("process_open_fds") { fdsAfterRestart.append(fds) }
        }
        XCTAssertEqual(fdsAfterRestart.count, restarts)
        if let first = fdsAfterRestart.first, let last = fdsAfterRestart.last {
            XCTAssertLessThanOrEqual(last, first, "open fds grew across \(restarts) charon restarts: \(fdsAfterRestart)")
        }
        let scrape = try exporter.scrape()
        XCTAssertGreaterThanOrEqual(scrape.value("strongswan_exporter_vici_reconnects_total") ?? 0, Double(restarts))
        XCTAssertEqual(exporter.stop(), 0, "SIGTERM is a clean shutdown: \(exporter.log)")
    }
}
