import ErrorNotify
import Foundation
import PrometheusExpositionTesting
import StrongSwanCollectors
import Testing
@testable import StrongSwanExporter
import TestSupport

extension HostileSuite {
    /// The error-notify follower against a stand-in socket (``ErrorNotifyPeer``) for what a real charon cannot
    /// be made to send: garbage, records cut anywhere, a flood of distinct connection names, an absent socket,
    /// hang-ups. The agent polls the scripted lab charon meanwhile; nothing here may disturb it.
    @Suite(.timeLimit(.minutes(4))) struct HostileErrorNotifyPeerTests {
        static func record(_ type: Int32, conn: String, id: String = "CN=peer-7f3a.example", ip: String = "203.0.113.77[4500]",
                           message: String = "test") -> ErrorNotifyRecord {
            ErrorNotifyRecord(type: type, message: message, connection: conn, peerIdentity: id, peerAddress: ip)
        }

        /// ``HostileSuite/HostileVICIPeerTests/withAgent(timeout:followEvents:script:eventBackoff:errorNotify:captureLogs:_:)``
        /// following `peer`, which is stopped afterwards too.
        static func withAgent(_ peer: ErrorNotifyPeer, captureLogs: Bool = true,
                              _ body: (ScriptedCharon, HostileAgent) async throws -> Void) async throws {
            do {
                try await HostileSuite.HostileVICIPeerTests.withAgent(
                    errorNotify: peer.uri, captureLogs: captureLogs, body)
            } catch {
                await peer.stop()
                throw error
            }
            await peer.stop()
        }

        @Test func failuresAreCountedByReasonAndConnectionAndLoggedWithThePeer() async throws {
            let peer = try ErrorNotifyPeer()
            try await peer.listen()
            try await Self.withAgent(peer) { _, agent in
                let first = try await agent.waitFor("configured connections and error-notify up") {
                    $0.value("strongswan_error_notify_up") == 1 && $0.value("strongswan_connection_failures_total", ["conn": "site-0001"]) == 0
                }
                // Every reason from 0, every configured connection from 0, nothing per reason yet.
                #expect(first.samples(named: "strongswan_failures_total").count == FailureReason.allCases.count)
                #expect(first.samples(named: "strongswan_failures_total").allSatisfy { $0.value == 0 })
                let conns = Set(first.samples(named: "strongswan_connection_failures_total").compactMap { $0.label("conn") })
                #expect(conns == ["site-0001", "site-0002", "site-0003", "site-trap", "site-dead", "rw"])
                #expect(first.samples(named: "strongswan_connection_failures_by_reason_total").isEmpty)
                #expect(first.samples(named: "strongswan_ike_notices_total").count == 4)

                let records = [
                    Self.record(3, conn: "site-0001", id: "CN=site-7f3a.example", message: "peer authentication failed"),
                    Self.record(20, conn: "site-0002", message: "IKE message retransmission number 1"),
                    Self.record(8, conn: "", id: "", ip: "203.0.113.77[500]"),
                    Self.record(3, conn: "site-0001"),
                    Self.record(10, conn: "site-0001"),
                ]
                // Cut in odd pieces: a record arrives in several reads.
                try await peer.send(records.flatMap(\.encoded), chunk: 100)
                let after = try await agent.waitFor("the failures") {
                    $0.value("strongswan_connection_failures_total", ["conn": "site-0001"]) == 3
                        && $0.value("strongswan_failures_total", ["reason": "ike_proposal_mismatch"]) == 1
                }
                #expect(after.value("strongswan_connection_failures_by_reason_total", ["conn": "site-0001", "reason": "peer_auth_failed"]) == 2)
                #expect(after.value("strongswan_connection_failures_by_reason_total", ["conn": "site-0001", "reason": "ts_mismatch"]) == 1)
                #expect(after.value("strongswan_failures_total", ["reason": "peer_auth_failed"]) == 2)
                #expect(after.value("strongswan_connection_failures_total", ["conn": "site-0002"]) == 0)
                #expect(after.value("strongswan_ike_notices_total", ["notice": "retransmit_sent"]) == 1)
                // One last-failure series for the connection, carrying the latest reason.
                let last = after.samples(named: "strongswan_connection_last_failure_timestamp_seconds")
                #expect(last.count == 1)
                #expect(last.first?.label("conn") == "site-0001")
                #expect(last.first?.label("reason") == "ts_mismatch")
                // No label anywhere carries the peer's identity or address.
                let text = try await agent.scrapeText()
                #expect(!text.contains("7f3a.example") && !text.contains("203.0.113.77"))
                // One line per failure (4), none for the notice at info level; identity and address in the line.
                let lines = agent.logs.lines("charon reported a failure", minimum: .warning)
                #expect(lines.count == 4)
                #expect(lines.first?.metadata["conn"] == "site-0001")
                #expect(lines.first?.metadata["reason"] == "peer_auth_failed")
                #expect(lines.first?.metadata["peer_id"] == "CN=site-7f3a.example")
                #expect(lines.first?.metadata["peer_address"] == "203.0.113.77[4500]")
                #expect(lines.first?.metadata["message"] == "peer authentication failed")
                #expect(after.value("strongswan_up") == 1)
            }
        }

        @Test func garbageAndTruncatedRecordsNeitherCrashNorStopTheFollower() async throws {
            let peer = try ErrorNotifyPeer()
            try await peer.listen()
            try await Self.withAgent(peer) { _, agent in
                try await agent.waitFor("error-notify up") { $0.value("strongswan_error_notify_up") == 1 }
                var generator = SystemRandomNumberGenerator()
                // 20 records' worth of random bytes and a half record: whatever the type, counted as some reason.
                let garbage = (0..<(20 * ErrorNotifyRecord.size + 384)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try await peer.send(garbage, chunk: 333)
                try await agent.waitFor("20 records counted") { scrape in
                    let failures = scrape.samples(named: "strongswan_failures_total").reduce(0) { $0 + $1.value }
                    let notices = scrape.samples(named: "strongswan_ike_notices_total").reduce(0) { $0 + $1.value }
                    return failures + notices == 20
                }
                // The half record is dropped with the connection; the next connection starts clean.
                await peer.hangUp()
                try await agent.waitFor("reconnected") { _ in peer.connections >= 2 && peer.connected == 1 }
                try await agent.waitFor("error-notify up again") { $0.value("strongswan_error_notify_up") == 1 }
                try await peer.send(Self.record(15, conn: "rw").encoded)
                let scrape = try await agent.waitFor("the pool failure") {
                    $0.value("strongswan_connection_failures_by_reason_total", ["conn": "rw", "reason": "vip_failure"]) == 1
                }
                #expect(scrape.value("strongswan_up") == 1)
            }
        }

        @Test func floodOfDistinctConnectionNamesIsBounded() async throws {
            let peer = try ErrorNotifyPeer()
            try await peer.listen()
            try await Self.withAgent(peer) { _, agent in
                try await agent.waitFor("error-notify up") { $0.value("strongswan_error_notify_up") == 1 }
                let count = 5_000
                let bytes = (0..<count).flatMap { Self.record(3, conn: "flood-\($0)").encoded }
                try await peer.send(bytes)
                let scrape = try await agent.waitFor("the flood counted") {
                    $0.value("strongswan_failures_total", ["reason": "peer_auth_failed"]) == Double(count)
                }
                let bound = FailureLedger.maxUnconfiguredConnections
                let perConnection = scrape.samples(named: "strongswan_connection_failures_total")
                #expect(perConnection.count == 6 + bound)
                #expect(scrape.samples(named: "strongswan_connection_last_failure_timestamp_seconds").count == bound)
                #expect(agent.logs.lines("charon reported a failure", minimum: .warning).count == count)
                let boundLines = agent.logs.all.filter { $0.message.hasPrefix("error-notify names more connections") }
                #expect(boundLines.count == 1)
            }
        }

        @Test func absentSocketIsOneLogLineAndEverythingElseWorks() async throws {
            let peer = try ErrorNotifyPeer()
            try await Self.withAgent(peer) { _, agent in
                let scrape = try await agent.waitFor("first poll") {
                    $0.value("strongswan_up") == 1 && $0.value("strongswan_error_notify_up") == 0
                }
                #expect(scrape.collectorSuccess.values.allSatisfy { $0 == 1 })
                // Several attempts (backoff 100 ms doubling to 2 s), one line.
                try await agent.waitFor("a few polls") { _ in
                    agent.logs.all.contains { $0.message.hasPrefix("error-notify socket unavailable") }
                }
                let polls = await agent.polls()
                try await agent.waitForPolls(after: polls, count: 10)
                let lines = agent.logs.all.filter { $0.message.hasPrefix("error-notify socket unavailable") }
                #expect(lines.count == 1)
                #expect(lines.first?.level == .warning)
                // The socket appears (charon started with the plugin): followed without a restart.
                try await peer.listen()
                try await agent.waitFor("error-notify up") { $0.value("strongswan_error_notify_up") == 1 }
                #expect(agent.logs.lines("following charon's error-notify socket").count == 1)
            }
        }
    }
}
