import PrometheusExposition
import StrongSwanCollectors
import VICI
import XCTest

/// ``SASummary``: what the exporter keeps of each SA when per-SA families are off. Driven by the event
/// timelines recorded from the real lab (Fixtures/events): whatever happens, the summaries patched by events
/// must be the summaries of the full models patched by the same events, and render the same aggregates.
final class SASummaryTests: XCTestCase {
    static let fixtures = ["lifecycle", "peer-rekeys", "child-only", "churn", "gw-restart", "peer-dpd", "peer-restart"]

    func rendered<Entry: SAListEntry>(_ sas: [Entry]) -> String {
        var metrics = MetricSet()
        SAAggregatesRenderer.render(sas: sas, conns: EventFixture.labConns(), now: 1_000, into: &metrics)
        return String(decoding: metrics.encoded(), as: UTF8.self)
    }

    func testSummariesPatchedByEventsEqualTheSummariesOfPatchedModels() throws {
        var eventsApplied = 0
        for name in Self.fixtures {
            let fixture = try EventFixture.load(name)
            var full: [IKESA] = []
            var summaries: [SASummary] = []
            var ledger = TunnelLedger()
            ledger.configure(EventFixture.labConns())
            for (index, step) in fixture.steps.enumerated() {
                switch step {
                case .poll(_, _, let sas):
                    full = sas
                    summaries = SASummary.summarizing(sas)
                case .event(let event, _, let message):
                    TunnelLedger.patch(&full, event: event, message: message)
                    TunnelLedger.patch(&summaries, event: event, message: message)
                    eventsApplied += 1
                case .action, .daemonLost:
                    continue
                }
                let context = "\(name) step \(index)"
                XCTAssertEqual(summaries, SASummary.summarizing(full), context)
                XCTAssertEqual(rendered(summaries), rendered(full), context)
                XCTAssertTrue(ledger.tunnelCounts(sas: summaries) == ledger.tunnelCounts(sas: full), context)
            }
        }
        // The timelines hold events of every kind; make sure they were there to be applied.
        XCTAssertGreaterThan(eventsApplied, 50)
    }

    func testSummaryKeepsNamesStatesAndIDs() {
        var ike = IKESA(name: "remote-access-eu-west-1", uniqueID: "17")
        ike.state = "ESTABLISHED"
        ike.remoteHost = "198.51.100.7"
        var child = ChildSA(name: "road-warrior-split-tunnel")
        child.uniqueID = "42"
        child.state = "INSTALLED"
        child.bytesIn = 1234
        ike.childSAs = [child]
        var other = IKESA(name: "remote-access-eu-west-1", uniqueID: "18")
        other.state = "CONNECTING"

        let summaries = SASummary.summarizing([ike, other])
        XCTAssertEqual(summaries, [
            SASummary(name: "remote-access-eu-west-1", uniqueID: "17", state: "ESTABLISHED", childSAs: [
                ChildSASummary(name: "road-warrior-split-tunnel", uniqueID: "42", state: "INSTALLED"),
            ]),
            SASummary(name: "remote-access-eu-west-1", uniqueID: "18", state: "CONNECTING"),
        ])
        XCTAssertEqual(summaries.first, SASummary(ike))
    }

    func testLongNamesAreStoredOncePerDistinctName() {
        // Two strings decoded separately, as two list-sa messages give them.
        let first = String(decoding: Array("remote-access-eu-west-1".utf8), as: UTF8.self)
        let second = String(decoding: Array("remote-access-eu-west-1".utf8), as: UTF8.self)
        XCTAssertNotEqual(Self.storage(first), Self.storage(second), "precondition: separate allocations")
        let summaries = SASummary.summarizing([IKESA(name: first, uniqueID: "1"), IKESA(name: second, uniqueID: "2")])
        XCTAssertEqual(summaries.count, 2)
        XCTAssertEqual(Self.storage(summaries[0].name), Self.storage(summaries[1].name))
    }

    static func storage(_ string: String) -> UnsafeRawPointer? {
        string.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    func testEndpointUpdatesDoNotChangeASummary() {
        var summary = SASummary(name: "a", uniqueID: "1", state: "ESTABLISHED")
        let before = summary
        summary.updateEndpoints(localHost: "192.0.2.1", localPort: "4500", remoteHost: "198.51.100.7", remotePort: "4500")
        XCTAssertEqual(summary, before)
    }
}
