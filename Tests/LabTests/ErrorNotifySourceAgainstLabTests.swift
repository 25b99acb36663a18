import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The error-notify source against the real charon: it survives charon's restarts without leaking, and an
/// absent socket (the plugin not loaded) costs one log line and nothing else.
final class ErrorNotifySourceAgainstLabTests: XCTestCase {
    func testTwentyCharonRestartsReconnectByThemselvesWithConstantDescriptors() throws {
        let lab = try LabEnvironment.require()
        // Without the event subscription, whose backoff grows when a subscription delivers nothing before it is
        // lost (as here, restart after restart): the descriptors counted are the poll's and error-notify's.
        let exporter = try ExporterProcess(
            lab: lab, arguments: ["--error-notify.socket", lab.gwErrorNotify, "--poll.interval", "1s", "--no-events"])
        defer { _ = exporter.stop() }
        func restored() -> Int { exporter.log.components(separatedBy: "error-notify connection restored").count - 1 }
        func descriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(exporter.pid)/fd").count) ?? -1 }
        func healthy() throws -> Bool {
            let scrape = try exporter.scrape()
            return scrape.value("strongswan_up") == 1 && scrape.value("strongswan_error_notify_up") == 1
        }
        var baseline = -1
        for restart in 1...20 {
            // The last restart waits for every tunnel, leaving the lab as the other tests expect it.
            let (status, _, errors) = try LabEnvironment.run(
                lab.script, ["restart", "gw"] + (restart < 20 ? ["--no-wait"] : []))
            XCTAssertEqual(status, 0, "lab.sh restart gw: \(errors)")
            try exporter.waitFor("error-notify reconnected after restart \(restart)", timeout: 60) {
                try restored() >= restart && healthy()
            }
            // As between real restarts: the connection stands a moment (one that charon closes within a second
            // of connecting is retried with a growing backoff, like a peer that hangs up at once).
            usleep(1_500_000)
            if restart == 1 {
                baseline = descriptors()
            } else {
                // A scrape's socket may still be closing: the count must come back to the baseline.
                _ = try? exporter.waitFor("descriptors back to \(baseline) after restart \(restart)", timeout: 30) { descriptors() == baseline }
                XCTAssertEqual(descriptors(), baseline, "open descriptors after restart \(restart)")
            }
        }
        XCTAssertEqual(restored(), 20, "one reconnection per restart")
        print("error-notify: 20 charon restarts, \(baseline) open descriptors after the first and after each")
        XCTAssertGreaterThan(baseline, 0)
    }

    func testAbsentSocketIsOneLogLineAndEverythingElseWorks() throws {
        let lab = try LabEnvironment.require()
        let absent = "unix:///tmp/no-charon-\(getpid())/charon.enfy"
        let exporter = try ExporterProcess(lab: lab, arguments: ["--error-notify.socket", absent, "--poll.interval", "1s"])
        defer { _ = exporter.stop() }
        func polls() throws -> Double { try exporter.scrape().value("strongswan_exporter_polls_total", ["result": "success"]) ?? 0 }
        let first = try polls()
        // Several polls and many connection attempts (backoff from 0.5 s).
        try exporter.waitFor("5 more polls", timeout: 60) { try polls() >= first + 5 }
        let scrape = try exporter.scrape()
        XCTAssertEqual(scrape.value("strongswan_error_notify_up"), 0)
        XCTAssertEqual(scrape.value("strongswan_up"), 1)
        let success = scrape.samples(named: "strongswan_exporter_collector_success")
        XCTAssertFalse(success.isEmpty)
        XCTAssertTrue(success.allSatisfy { $0.value == 1 }, "\(success)")
        XCTAssertEqual(scrape.value("strongswan_tunnel_up", ["conn": "site-0001", "child": "net-0001"]), 1)
        let lines = exporter.log.split(separator: "\n").filter { $0.contains("error-notify") }
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.first?.contains("error-notify socket unavailable") == true, "\(lines)")
        XCTAssertTrue(lines.first?.contains(absent) == true, "names the socket: \(lines)")
    }
}
