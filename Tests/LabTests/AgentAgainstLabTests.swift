import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import XCTest

/// The long-running agent against the real lab: events make tunnel state instant, charon restarts are
/// survived without restarting the exporter, and nothing leaks across them.
final class AgentAgainstLabTests: XCTestCase {
    /// A terminated tunnel reads 0, and 1 again after the initiate, long before the next scheduled poll: the
    /// poll interval is 10 min and each change must show within 40 s. The events carry it (each is applied to
    /// the cached model at once and asks for an early poll; which of the two renders first is a race the test
    /// leaves alone, and the ledger tests check the patching itself). No latency bound: a slow CI machine may
    /// take seconds to negotiate. With `--no-events` this fails (checked: timed out after 40 s).
    func testTerminatedTunnelReadsDownAndUpAgainLongBeforeTheNextPoll() throws {
        let lab = try LabEnvironment.require()
        let exporter = try ExporterProcess(lab: lab, arguments: ["--poll.interval", "10m"])
        defer { _ = exporter.stop() }
        let tunnel = ["conn": "site-0001", "child": "net-0001"]
        func events(_ scrape: ParsedExposition) -> Double {
            scrape.samples(named: "strongswan_exporter_events_total").reduce(0) { $0 + $1.value }
        }
        let before = try exporter.scrape()
        XCTAssertEqual(before.value("strongswan_tunnel_up", tunnel), 1)

        /// Runs `lab.sh command 1`, waits for `tunnel_up` to read `value` and returns the scrape that showed it.
        func waitForTunnelUp(_ value: Double, after command: String) throws -> ParsedExposition {
            try LabEnvironment.run(lab.script, [command, "1"])
            return try exporter.firstScrape("tunnel_up \(value) after \(command)", timeout: 40) {
                $0.value("strongswan_tunnel_up", tunnel) == value
            }
        }
        let down = try waitForTunnelUp(0, after: "terminate")
        XCTAssertGreaterThan(events(down), events(before), "the scrape that shows it counted charon's events")
        let up = try waitForTunnelUp(1, after: "initiate")
        XCTAssertGreaterThan(events(up), events(down), "the scrape that shows it counted charon's events")
        // The other tunnels never went down.
        XCTAssertEqual(up.value("strongswan_tunnel_up", ["conn": "site-0002", "child": "net-0002"]), 1)
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
