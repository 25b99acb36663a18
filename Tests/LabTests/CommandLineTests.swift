import Foundation
import StrongSwanCollectors
import XCTest

/// The real binary's command line: collector switches derived from the catalogue, and flag values that
/// must be refused with a clear message.
final class CommandLineTests: XCTestCase {
    func testHelpListsEveryCollectorOfTheCatalogue() throws {
        let lab = try LabEnvironment.require()
        for command in ["run", "dump"] {
            let (status, output, _) = try LabEnvironment.run(lab.exporter, [command, "--help"])
            XCTAssertEqual(status, 0)
            let help = String(decoding: output, as: UTF8.self)
            for collector in CollectorCatalogue.all {
                XCTAssertTrue(help.contains("--[no-]collector.\(collector.name) "), "\(command) --help lacks \(collector.name)")
            }
        }
    }

    func testNoCollectorSwitchDropsItsFamiliesAndSelfMetrics() throws {
        let lab = try LabEnvironment.require()
        let (status, output, errors) = try LabEnvironment.run(
            lab.exporter, ["dump", "--vici.socket", lab.gwVICI, "--no-collector.pools", "--no-collector.version"])
        XCTAssertEqual(status, 0, errors)
        let text = String(decoding: output, as: UTF8.self)
        XCTAssertFalse(text.contains("strongswan_pool_"))
        XCTAssertFalse(text.contains("\nstrongswan_info{"))
        XCTAssertFalse(text.contains("collector=\"pools\""))
        XCTAssertTrue(text.contains("strongswan_exporter_collector_success{collector=\"sas\"} 1"))
        // Switched back on by a later switch of the same name.
        let (again, output2, _) = try LabEnvironment.run(
            lab.exporter, ["dump", "--vici.socket", lab.gwVICI, "--no-collector.pools", "--collector.pools"])
        XCTAssertEqual(again, 0)
        XCTAssertTrue(String(decoding: output2, as: UTF8.self).contains("strongswan_exporter_collector_success{collector=\"pools\"} 1"))
    }

    /// A daemon that is not there: one log line naming the socket (it was printed twice once), and the
    /// exposition still says strongswan_up 0.
    func testDumpWithoutCharonLogsTheOutageOnce() throws {
        let lab = try LabEnvironment.require()
        let socket = "unix://\(NSTemporaryDirectory())no-charon-\(getpid()).vici"
        let (_, output, errors) = try LabEnvironment.run(lab.exporter, ["dump", "--vici.socket", socket])
        XCTAssertTrue(String(decoding: output, as: UTF8.self).contains("\nstrongswan_up 0\n"))
        let lines = errors.split(separator: "\n").filter { $0.contains("msg=\"charon unreachable\"") }
        XCTAssertEqual(lines.count, 1, errors)
        XCTAssertTrue(lines.first?.contains(socket) == true, errors)
    }

    func testUnknownCollectorOrArgumentIsRefused() throws {
        let lab = try LabEnvironment.require()
        let (status, _, errors) = try LabEnvironment.run(lab.exporter, ["dump", "--no-collector.bogus"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("unknown collector 'bogus'"), errors)
        let (status2, _, errors2) = try LabEnvironment.run(lab.exporter, ["run", "--web.nonsense"])
        XCTAssertNotEqual(status2, 0)
        XCTAssertTrue(errors2.contains("--web.nonsense"), errors2)
    }

    /// 106751991167 days is just below 2^63 ms; twice that wrapped to about 34 minutes before.
    func testOverflowingDurationIsRefusedWithAClearMessage() throws {
        let lab = try LabEnvironment.require()
        let (status, _, errors) = try LabEnvironment.run(
            lab.exporter, ["run", "--poll.interval", "106751991167d106751991167d15h", "--web.listen-address", "127.0.0.1:0"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("--poll.interval: '106751991167d106751991167d15h' is not a positive duration"), errors)
        let (status2, _, errors2) = try LabEnvironment.run(lab.exporter, ["vici", "version", "--vici.timeout", "0s"])
        XCTAssertNotEqual(status2, 0)
        XCTAssertTrue(errors2.contains("--vici.timeout"), errors2)
    }

    /// `--vici.timeout 500ms` is 500 ms: a daemon answering after 800 ms times out (a timeout rounded up to 1 s
    /// would read it), one answering after 50 ms is read (the `vici` command kept whole seconds once, a 0 s
    /// timeout). The prompt answer leaves a loaded machine 450 ms; a slow machine only makes the late one later.
    func testSubSecondVICITimeoutOfTheViciCommand() throws {
        let lab = try LabEnvironment.require()
        let late = try SlowCharon(mode: .slow(seconds: 0.8))
        defer { late.stop() }
        let (status, _, errors) = try LabEnvironment.run(
            lab.exporter, ["vici", "version", "--vici.socket", late.uri, "--vici.timeout", "500ms"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("timed out after 0.5 s"), errors)

        let prompt = try SlowCharon(mode: .slow(seconds: 0.05))
        defer { prompt.stop() }
        let (okStatus, output, okErrors) = try LabEnvironment.run(
            lab.exporter, ["vici", "version", "--vici.socket", prompt.uri, "--vici.timeout", "500ms"])
        XCTAssertEqual(okStatus, 0, okErrors)
        XCTAssertTrue(String(decoding: output, as: UTF8.self).contains("5.9.8"))
    }
}
