import PrometheusExposition
import StrongSwanCollectors
import VICI
import Foundation
import XCTest

/// The ledger driven by event sequences and `list-sas` snapshots recorded from a real charon 5.9.8 (the
/// lab's gw daemon; see Fixtures/events/README.md).
final class TunnelLedgerLabTests: XCTestCase {
    static let counterFamilies = [
        "strongswan_tunnel_bytes_total", "strongswan_tunnel_packets_total", "strongswan_tunnel_transitions_total",
        "strongswan_tunnel_rekeys_total", "strongswan_connection_ike_sa_events_total",
    ]

    /// Replays a fixture and checks what must hold after every step:
    /// - counters never decrease;
    /// - at every poll, each site tunnel's `bytes_total{direction="out"}`/`packets_total` equal what
    ///   `lab.sh traffic` sent through it so far (payload + 28 bytes per datagram) on top of what its
    ///   CHILD_SA had carried at the first poll (the scenarios ran one after the other on one lab), and
    ///   nothing came in;
    /// - before every poll (except the first after a loss), the CHILD_SAs in up states of the event-patched
    ///   SA list are exactly those of the poll: patching anticipates the poll.
    @discardableResult
    func replay(_ fixture: EventFixture, replay initial: Replay = Replay(), skipping skip: Set<Int> = [],
                file: StaticString = #filePath, line: UInt = #line,
                after: (Int, EventFixture.Step, Replay, MetricSet) -> Void = { _, _, _, _ in }) -> Replay {
        var replay = initial
        var previous: [String: [[String]: Double]] = [:]
        var sent: [Int: (bytes: UInt64, packets: UInt64)] = [:]
        if case .poll(_, _, let first)? = fixture.steps.first {
            for sa in first {
                guard sa.name.hasPrefix("site-"), let site = Int(sa.name.dropFirst(5)) else { continue }
                for child in sa.childSAs {
                    sent[site, default: (0, 0)].bytes += child.bytesOut
                    sent[site, default: (0, 0)].packets += child.packetsOut
                }
            }
        }
        var lost = false
        for (index, step) in fixture.steps.enumerated() where !skip.contains(index) {
            if case .poll(let label, _, let polled) = step, let patched = replay.sas, !lost {
                XCTAssertEqual(Self.upChildren(patched), Self.upChildren(polled),
                               "\(fixture.scenario): patched SA list differs from poll '\(label)'", file: file, line: line)
            }
            if case .daemonLost = step { lost = true }
            if case .poll = step { lost = false }
            if case .action(_, _, let traffic, _) = step {
                for traffic in traffic {
                    sent[traffic.tunnel, default: (0, 0)].bytes += traffic.childSABytes
                    sent[traffic.tunnel, default: (0, 0)].packets += traffic.datagrams
                }
            }
            replay.run(step)
            let metrics = replay.metrics()
            for name in Self.counterFamilies {
                let now = metrics.series(name)
                for (labels, value) in previous[name] ?? [:] {
                    XCTAssertGreaterThanOrEqual(now[labels] ?? -1, value, "\(fixture.scenario) step \(index): \(name)\(labels) decreased",
                                                file: file, line: line)
                }
                previous[name] = now
            }
            if case .poll(let label, _, _) = step {
                for site in 1...4 {
                    let labels = [String(format: "site-%04d", site), String(format: "net-%04d", site)]
                    let expected = sent[site] ?? (0, 0)
                    XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", labels + ["out"]), Double(expected.bytes),
                                   "\(fixture.scenario) '\(label)': bytes out of \(labels)", file: file, line: line)
                    XCTAssertEqual(metrics.value("strongswan_tunnel_packets_total", labels + ["out"]), Double(expected.packets),
                                   "\(fixture.scenario) '\(label)': packets out of \(labels)", file: file, line: line)
                    XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", labels + ["in"]), 0, file: file, line: line)
                }
            }
            after(index, step, replay, metrics)
        }
        return replay
    }

    static func upChildren(_ sas: [IKESA]) -> Set<String> {
        var result = Set<String>()
        for sa in sas {
            for child in sa.childSAs where SAStates.childUp.contains(child.state) {
                result.insert("\(sa.name)/\(sa.uniqueID)/\(child.name)/\(child.uniqueID)")
            }
        }
        return result
    }

    static func eventConn(_ message: VICIMessage) -> String? { message.sections.first?.name }
    static func isUp(_ message: VICIMessage) -> Bool { message.string("up") == "yes" }

    func transitions(_ metrics: MetricSet, _ conn: String, _ child: String) -> (up: Double?, down: Double?) {
        (metrics.value("strongswan_tunnel_transitions_total", [conn, child, "up"]),
         metrics.value("strongswan_tunnel_transitions_total", [conn, child, "down"]))
    }

    func ikeEvents(_ metrics: MetricSet, _ conn: String) -> [Double?] {
        ["up", "down", "rekey", "update"].map { metrics.value("strongswan_connection_ike_sa_events_total", [conn, $0]) }
    }

    // MARK: - site-0001: rekeys, terminate, initiate

    func testLifecycleRekeysTerminateInitiate() throws {
        let fixture = try EventFixture.load("lifecycle")
        var terminated = false
        var upEventAt: Double?
        var totalsAtPoll: [String: Double] = [:]
        let final = replay(fixture) { _, step, _, metrics in
            if case .event(let name, let at, let message) = step, Self.eventConn(message) == "site-0001" {
                if name == "ike-updown", !Self.isUp(message) { terminated = true }
                if name == "child-updown", Self.isUp(message) {
                    terminated = false
                    upEventAt = at
                }
            }
            // Read 0 from the terminate until the re-initiation, 1 otherwise: never 0 across the rekeys.
            XCTAssertEqual(metrics.value("strongswan_tunnel_up", ["site-0001", "net-0001"]), terminated ? 0 : 1, "\(step)")
            for site in 2...4 {
                XCTAssertEqual(metrics.value("strongswan_tunnel_up", [String(format: "site-%04d", site), String(format: "net-%04d", site)]), 1)
            }
            if case .poll(let label, _, _) = step {
                totalsAtPoll[label] = metrics.value("strongswan_tunnel_bytes_total", ["site-0001", "net-0001", "out"])
            }
        }
        // The old SA still listed as DELETED (with its final 30616 bytes) next to the new one: counted once.
        XCTAssertEqual(totalsAtPoll["after traffic 1"], 30616)
        XCTAssertEqual(totalsAtPoll["rekey overlap"], 30616)
        XCTAssertEqual(totalsAtPoll["after rekey overlap"], 30616)
        XCTAssertEqual(totalsAtPoll["after terminate"], 30616 + 20420 + 10224)
        XCTAssertEqual(totalsAtPoll["final"], 66372)

        let metrics = final.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_packets_total", ["site-0001", "net-0001", "out"]), 22 + 15 + 8 + 4)
        XCTAssertTrue(transitions(metrics, "site-0001", "net-0001") == (1, 1))
        XCTAssertEqual(metrics.value("strongswan_tunnel_rekeys_total", ["site-0001", "net-0001"]), 1)
        XCTAssertEqual(ikeEvents(metrics, "site-0001"), [1, 1, 1, 0])
        XCTAssertEqual(metrics.value("strongswan_tunnel_last_change_timestamp_seconds", ["site-0001", "net-0001"]), upEventAt)
        for site in 2...4 {
            let conn = String(format: "site-%04d", site), child = String(format: "net-%04d", site)
            XCTAssertTrue(transitions(metrics, conn, child) == (0, 0))
            XCTAssertEqual(metrics.value("strongswan_tunnel_rekeys_total", [conn, child]), 0)
            XCTAssertNil(metrics.value("strongswan_tunnel_last_change_timestamp_seconds", [conn, child]))
            XCTAssertEqual(ikeEvents(metrics, conn), [0, 0, 0, 0])
        }
        XCTAssertTrue(transitions(metrics, "rw", "rw") == (0, 0))

        XCTAssertEqual(final.changes.map(\.summary),
                       ["CHILD_SA rekeyed", "IKE_SA rekeyed", "IKE_SA down", "tunnel down", "IKE_SA up", "tunnel up"])
        XCTAssertEqual(final.changes[0].metadata, [
            "conn": "site-0001", "child": "net-0001", "child_id": "8", "old_child_id": "2", "ike_id": "1",
            "remote_host": "192.168.77.2", "remote_id": "site-0001.peer.lab.test",
            "bytes_in": "0", "bytes_out": "30616", "packets_in": "0", "packets_out": "22",
        ])
        XCTAssertEqual(final.changes[1].metadata["ike_id"], "7")
        XCTAssertEqual(final.changes[1].metadata["old_ike_id"], "1")
        XCTAssertEqual(final.changes[3].metadata, [
            "conn": "site-0001", "child": "net-0001", "child_id": "8", "ike_id": "7",
            "remote_host": "192.168.77.2", "remote_id": "site-0001.peer.lab.test",
            "bytes_in": "0", "bytes_out": "30644", "packets_in": "0", "packets_out": "23",
        ])
        XCTAssertEqual(final.changes[5].metadata["child_id"], "9")
        XCTAssertEqual(final.changes[5].metadata["ike_id"], "8")

        // Only the six CHILD_SAs charon still has are remembered: the ended ones were dropped once polls
        // that started after their end no longer listed them.
        XCTAssertEqual(final.ledger.trackedSACount, 6)
        XCTAssertEqual(final.ledger.tunnelCounts(sas: final.sas ?? []).up, 5)
        XCTAssertEqual(final.ledger.tunnelCounts(sas: final.sas ?? []).configured, 5)
    }

    /// The CHILD_SA rekey event reaches the ledger only after the poll that shows the overlap (old DELETED,
    /// new INSTALLED): still counted once, still no transition.
    func testLifecycleWithRekeyEventAfterOverlapPoll() throws {
        let fixture = try EventFixture.load("lifecycle")
        var steps = fixture.steps
        let rekey = try XCTUnwrap(steps.firstIndex { if case .event("child-rekey", _, _) = $0 { return true } else { return false } })
        let overlap = try XCTUnwrap(steps.firstIndex { if case .poll("rekey overlap", _, _) = $0 { return true } else { return false } })
        let event = steps.remove(at: rekey)
        guard case .event(let name, _, let message) = event, case .poll(_, let pollAt, _) = steps[overlap - 1] else {
            return XCTFail("fixture layout")
        }
        steps.insert(.event(name: name, at: pollAt + 0.01, message: message), at: overlap)
        var replay = Replay()
        for step in steps { replay.run(step) }
        let metrics = replay.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0001", "net-0001", "out"]), 66372)
        XCTAssertTrue(transitions(metrics, "site-0001", "net-0001") == (1, 1))
        XCTAssertEqual(metrics.value("strongswan_tunnel_rekeys_total", ["site-0001", "net-0001"]), 1)
    }

    /// The peer rekeys (gw responds; its ike-rekey shows the old IKE_SA still ESTABLISHED).
    func testRekeysByThePeer() throws {
        let fixture = try EventFixture.load("peer-rekeys")
        var atPoll: [String: Double] = [:]
        let final = replay(fixture) { _, step, _, metrics in
            XCTAssertEqual(metrics.value("strongswan_tunnel_up", ["site-0001", "net-0001"]), 1)
            if case .poll(let label, _, _) = step {
                atPoll[label] = metrics.value("strongswan_tunnel_bytes_total", ["site-0001", "net-0001", "out"])
            }
        }
        XCTAssertEqual(atPoll["rekey overlap"], 628 + 9196)
        XCTAssertEqual(atPoll["final"], 628 + 9196 + 3084 + 1028)
        let metrics = final.metrics()
        XCTAssertTrue(transitions(metrics, "site-0001", "net-0001") == (0, 0))
        XCTAssertEqual(metrics.value("strongswan_tunnel_rekeys_total", ["site-0001", "net-0001"]), 1)
        XCTAssertEqual(ikeEvents(metrics, "site-0001"), [0, 0, 1, 0])
        XCTAssertNil(metrics.value("strongswan_tunnel_last_change_timestamp_seconds", ["site-0001", "net-0001"]))
        XCTAssertEqual(final.changes.map(\.summary), ["CHILD_SA rekeyed", "IKE_SA rekeyed"])
    }

    // MARK: - site-0002: only the CHILD_SA goes down and comes back

    func testChildOnlyTerminateAndInitiate() throws {
        let fixture = try EventFixture.load("child-only")
        var childDown = false
        let final = replay(fixture) { _, step, replay, metrics in
            if case .event("child-updown", _, let message) = step { childDown = !Self.isUp(message) }
            XCTAssertEqual(metrics.value("strongswan_tunnel_up", ["site-0002", "net-0002"]), childDown ? 0 : 1)
            // The IKE_SA stays.
            XCTAssertEqual(replay.sas?.filter { $0.name == "site-0002" }.count, 1)
        }
        let metrics = final.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0002", "net-0002", "out"]), 7168 + 3084)
        XCTAssertTrue(transitions(metrics, "site-0002", "net-0002") == (1, 1))
        XCTAssertEqual(ikeEvents(metrics, "site-0002"), [0, 0, 0, 0])
        XCTAssertEqual(final.changes.map(\.summary), ["tunnel down", "tunnel up"])
        XCTAssertEqual(final.changes[0].metadata["bytes_out"], "7168")
        XCTAssertEqual(final.changes[0].metadata["child_id"], "3")
        XCTAssertEqual(final.changes[1].metadata["child_id"], "10")
    }

    // MARK: - The peer goes away and comes back

    /// Checks a fixture in which every tunnel goes down once and comes back once; returns the final replay.
    func checkAllDownAndUp(_ fixture: EventFixture, replay initial: Replay = Replay(),
                           skipping skip: Set<Int> = [],
                           file: StaticString = #filePath, line: UInt = #line) -> Replay {
        let tunnels = (1...4).map { (String(format: "site-%04d", $0), String(format: "net-%04d", $0)) } + [("rw", "rw")]
        var lastUpEvent: [String: Double] = [:]
        let final = replay(fixture, replay: initial, skipping: skip, file: file, line: line) { _, step, replay, metrics in
            if case .event("child-updown", let at, let message) = step, Self.isUp(message), let conn = Self.eventConn(message) {
                lastUpEvent[conn] = lastUpEvent[conn] ?? at
            }
            // tunnel_up (from the patched list) agrees with the SAs: 1 iff an up CHILD_SA is listed.
            if let sas = replay.sas {
                for (conn, child) in tunnels {
                    let up = sas.contains { $0.name == conn && $0.childSAs.contains { $0.name == child && SAStates.childUp.contains($0.state) } }
                    XCTAssertEqual(metrics.value("strongswan_tunnel_up", [conn, child]), up ? 1 : 0, file: file, line: line)
                }
            }
        }
        let metrics = final.metrics()
        for (conn, child) in tunnels {
            XCTAssertTrue(transitions(metrics, conn, child) == (1, 1), "\(conn)/\(child): \(transitions(metrics, conn, child))",
                          file: file, line: line)
            XCTAssertEqual(metrics.value("strongswan_tunnel_last_change_timestamp_seconds", [conn, child]), lastUpEvent[conn],
                           "\(conn)", file: file, line: line)
            XCTAssertEqual(metrics.value("strongswan_tunnel_rekeys_total", [conn, child]), 0, file: file, line: line)
            XCTAssertEqual(metrics.value("strongswan_tunnel_up", [conn, child]), 1, file: file, line: line)
        }
        return final
    }

    func testPeerStoppedAndStarted() throws {
        let fixture = try EventFixture.load("peer-restart")
        let final = checkAllDownAndUp(fixture)
        let metrics = final.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0003", "net-0003", "out"]), 4084 + 2056)
        for site in 1...4 { XCTAssertEqual(ikeEvents(metrics, String(format: "site-%04d", site)), [1, 1, 0, 0]) }
        // Two road warriors share the config name: two IKE_SAs each way; responders' NAT updates happen
        // before they have a config and are not counted.
        XCTAssertEqual(ikeEvents(metrics, "rw"), [2, 2, 0, 0])
        XCTAssertNil(metrics.value("strongswan_connection_ike_sa_events_total", ["(unnamed)", "update"]))
        // The first road warrior's CHILD_SA going leaves the tunnel up; the second takes it down.
        let rw = final.changes.filter { $0.metadata["conn"] == "rw" && $0.metadata["child"] != nil }.map(\.summary)
        XCTAssertEqual(rw, ["CHILD_SA down", "tunnel down", "tunnel up", "CHILD_SA up"])
        XCTAssertEqual(final.ledger.trackedSACount, 6)
    }

    func testPeerKilledNoticedByDPD() throws {
        let fixture = try EventFixture.load("peer-dpd")
        var sawConnecting = false
        let final = checkAllDownAndUp(fixture)
        for step in fixture.steps {
            if case .poll("peer dead", _, let sas) = step {
                sawConnecting = sas.count == 4 && sas.allSatisfy { $0.state == "CONNECTING" && $0.childSAs.isEmpty }
            }
        }
        XCTAssertTrue(sawConnecting, "the fixture shows the sites being restarted by DPD")
        let metrics = final.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0004", "net-0004", "out"]), 2556 + 1556)
        XCTAssertEqual(ikeEvents(metrics, "rw"), [2, 2, 0, 0])
        XCTAssertEqual(final.ledger.trackedSACount, 6)
    }

    // MARK: - The watched charon restarts (uniqueids start again at 1)

    func testGatewayRestart() throws {
        let fixture = try EventFixture.load("gw-restart")
        let final = checkAllDownAndUp(fixture)
        let metrics = final.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0004", "net-0004", "out"]), 6140 + 1028)
        XCTAssertEqual(final.ledger.trackedSACount, 6)
    }

    /// The same restart, but the poller never noticed it (charon was back before the next poll): only the
    /// events and the reused uniqueids (with other SPIs) tell.
    func testGatewayRestartUnnoticedByThePoller() throws {
        let fixture = try EventFixture.load("gw-restart")
        let lost = fixture.steps.indices.filter { if case .daemonLost = fixture.steps[$0] { return true } else { return false } }
        let final = checkAllDownAndUp(fixture, skipping: Set(lost))
        XCTAssertEqual(final.metrics().value("strongswan_tunnel_bytes_total", ["site-0004", "net-0004", "out"]), 7168)
    }

    /// charon crashed: no down events, the poller lost it, then the new daemon's events (with reused
    /// uniqueids) and poll: downs as of the loss, ups at the events.
    func testGatewayCrash() throws {
        let fixture = try EventFixture.load("gw-restart")
        let lostIndex = try XCTUnwrap(fixture.steps.firstIndex { if case .daemonLost = $0 { return true } else { return false } })
        var lostAt = 0.0
        if case .daemonLost(let at) = fixture.steps[lostIndex] { lostAt = at }
        let downs = fixture.steps.indices.filter { index in
            if case .event(_, _, let message) = fixture.steps[index], index < lostIndex, !Self.isUp(message) { return true }
            return false
        }
        let final = checkAllDownAndUp(fixture, skipping: Set(downs))
        // The down transitions happened at the loss: the last change is the up event, after it.
        let metrics = final.metrics()
        for site in 1...4 {
            let change = metrics.value("strongswan_tunnel_last_change_timestamp_seconds",
                                       [String(format: "site-%04d", site), String(format: "net-%04d", site)])
            XCTAssertGreaterThan(change ?? 0, lostAt)
        }
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0004", "net-0004", "out"]), 7168)
    }

    /// The crash was not even noticed by the poller: bytes stay right (old SAs' last polled counts plus the
    /// new ones); the tunnels never looked down to the exporter, so no transitions are made up.
    func testGatewayCrashUnnoticed() throws {
        let fixture = try EventFixture.load("gw-restart")
        let lostIndex = try XCTUnwrap(fixture.steps.firstIndex { if case .daemonLost = $0 { return true } else { return false } })
        var replay = Replay()
        for (index, step) in fixture.steps.enumerated() {
            if index == lostIndex { continue }
            if case .event(_, _, let message) = step, index < lostIndex, !Self.isUp(message) { continue }
            replay.run(step)
        }
        let metrics = replay.metrics()
        XCTAssertEqual(metrics.value("strongswan_tunnel_bytes_total", ["site-0004", "net-0004", "out"]), 7168)
        XCTAssertEqual(metrics.value("strongswan_tunnel_packets_total", ["site-0004", "net-0004", "out"]), 6)
        for site in 1...4 {
            let t = transitions(metrics, String(format: "site-%04d", site), String(format: "net-%04d", site))
            XCTAssertEqual(t.up, t.down)
            XCTAssertLessThanOrEqual(t.up ?? 0, 1)
        }
        // The six live CHILD_SAs, and net-0004's old SA: it vanished in the last poll but one, and is
        // forgotten only when a poll that started after that one does not list it either.
        XCTAssertEqual(replay.ledger.trackedSACount, 7)
    }

    // MARK: - Churn

    /// `lab.sh churn` rounds (terminate, initiate, CHILD_SA and IKE_SA rekeys of random sites, several per
    /// tunnel between two polls) with traffic through every site before each round: the counters match what
    /// lab.sh reports having done, and the traffic what it sent.
    func testChurnMatchesWhatTheLabDid() throws {
        let fixture = try EventFixture.load("churn")
        var did: [String: [String: Double]] = [:]
        for step in fixture.steps {
            guard case .action(_, _, _, let output) = step else { continue }
            for line in output.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let verb = words.firstIndex(where: { ["terminate", "initiate", "rekey"].contains($0) }),
                      verb + 1 < words.count else { continue }
                let target = words[verb + 1].trimmingCharacters(in: CharacterSet(charactersIn: ":"))
                let conn = String(target.prefix(9))
                switch (words[verb], line.hasSuffix("done") || line.hasSuffix("up"), line.contains("(CHILD_SA)"), line.contains("(IKE_SA)")) {
                case ("terminate", true, _, _): did[conn, default: [:]]["down", default: 0] += 1
                case ("initiate", true, _, _): did[conn, default: [:]]["up", default: 0] += 1
                case ("rekey", _, true, _): did[conn, default: [:]]["rekey", default: 0] += 1
                case ("rekey", _, _, true): did[conn, default: [:]]["ike-rekey", default: 0] += 1
                default: break
                }
            }
        }
        XCTAssertEqual(did.values.reduce(0) { $0 + ($1["down"] ?? 0) }, 13, "the fixture's churn terminated 13 times")
        let final = replay(fixture)
        let metrics = final.metrics()
        for site in 1...4 {
            let conn = String(format: "site-%04d", site), child = String(format: "net-%04d", site)
            let expected = did[conn] ?? [:]
            XCTAssertTrue(transitions(metrics, conn, child) == (expected["up"] ?? 0, expected["down"] ?? 0),
                          "\(conn): \(transitions(metrics, conn, child)) vs \(expected)")
            XCTAssertEqual(metrics.value("strongswan_tunnel_rekeys_total", [conn, child]), expected["rekey"] ?? 0, conn)
            XCTAssertEqual(ikeEvents(metrics, conn), [expected["up"] ?? 0, expected["down"] ?? 0, expected["ike-rekey"] ?? 0, 0], conn)
            XCTAssertEqual(metrics.value("strongswan_tunnel_up", [conn, child]), 1)
        }
        // Live: the six CHILD_SAs charon has. Ended: only those the last two polls could still list.
        XCTAssertEqual(final.ledger.trackedSACount - final.ledger.endedSACount, 6)
        XCTAssertLessThanOrEqual(final.ledger.endedSACount, 4)
    }
}
