import ErrorNotify
import Foundation
import Testing
@testable import StrongSwanExporter
import TestSupport

extension HostileSuite.HostileMemoryTests {
    /// A flood of valid error-notify records, each naming another connection, with full-length messages and
    /// identities: everything is counted, and memory stays bounded (the follower reads with back-pressure
    /// and keeps no record beyond one read; per-connection series stop at the bound of unconfigured names).
    @Test func errorNotifyFloodKeepsMemoryBounded() async throws {
        let report = try await ChildProcessScenario.run(
            "error-notify-flood", test: "HostileMemoryTests/childErrorNotifyFlood", as: MemoryReport.self)
        print("error-notify flood: \(report)")
        #expect(report.sent >= 200_000)
        #expect(report.applied == report.sent, "every record counted: \(report)")
        // Measured: a few MiB over the start in a debug build, for some 150 MB of records; the bound leaves room
        // for the allocator and the renderings in between, and is far below what keeping records would take.
        #expect(report.growth < 64 * 1_048_576, "grew by \(report.growth / 1_048_576) MiB: \(report)")
        let settled = report.afterOverflow.max() ?? 0
        #expect(settled <= (report.untilOverflow.max() ?? 0) + 16 * 1_048_576, "still growing after the flood: \(report)")
    }

    @Test(.enabled(if: ChildProcessScenario.isChild("error-notify-flood"), "runs in the child of errorNotifyFloodKeepsMemoryBounded"))
    func childErrorNotifyFlood() async throws {
        let peer = try ErrorNotifyPeer()
        try await peer.listen()
        try await HostileSuite.HostileErrorNotifyPeerTests.withAgent(peer, captureLogs: false) { _, agent in
            try await agent.waitFor("error-notify up") { $0.value("strongswan_error_notify_up") == 1 }
            let message = String(repeating: "m", count: 383)
            let identity = String(repeating: "i", count: 255)
            let before = ProcessMemory.resident
            var report = MemoryReport(before: before, peak: 0, sent: 0)
            let batch = 1_000
            for round in 0..<200 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(batch * ErrorNotifyRecord.size)
                for index in 0..<batch {
                    let record = ErrorNotifyRecord(
                        type: Int32(1 + index % 32), message: message, connection: "flood-\(round)-\(index)",
                        peerIdentity: identity, peerAddress: "203.0.113.\(index % 250)[4500]")
                    bytes += record.encoded
                }
                try await peer.send(bytes)
                report.sent += batch
                if round % 10 == 0 { report.untilOverflow.append(ProcessMemory.resident) }
            }
            let sent = Double(report.sent)
            let scrape = try await agent.waitFor("every record counted", timeout: .seconds(120)) { scrape in
                let failures = scrape.samples(named: "strongswan_failures_total").reduce(0) { $0 + $1.value }
                let notices = scrape.samples(named: "strongswan_ike_notices_total").reduce(0) { $0 + $1.value }
                return failures + notices == sent
            }
            let failures = scrape.samples(named: "strongswan_failures_total").reduce(0) { $0 + $1.value }
            let notices = scrape.samples(named: "strongswan_ike_notices_total").reduce(0) { $0 + $1.value }
            report.applied = Int(failures + notices)
            for _ in 0..<8 {
                try await Task.sleep(for: .milliseconds(250))
                report.afterOverflow.append(ProcessMemory.resident)
            }
            report.peak = ProcessMemory.peakResident
            try ChildProcessScenario.report(report)
        }
    }
}
