import PrometheusExposition
import StrongSwanCollectors
import VICI
import XCTest

/// Races between polls and events, charon restarts, memory bounds and rendering, with synthetic messages
/// in charon's layouts.
final class TunnelLedgerSyntheticTests: XCTestCase {
    typealias C = SyntheticSAMessages
    typealias Child = SyntheticSAMessages.Child

    static let conns: [ConnectionConfig] = {
        var a = ConnectionConfig(name: "a")
        a.children = [ChildConfig(name: "net")]
        var b = ConnectionConfig(name: "b")
        b.children = [ChildConfig(name: "net"), ChildConfig(name: "voice")]
        return [a, b]
    }()

    func ledger(limits: TunnelLedger.Limits? = nil) -> TunnelLedger {
        var ledger = limits.map(TunnelLedger.init(limits:)) ?? TunnelLedger()
        ledger.configure(Self.conns)
        return ledger
    }

    func metrics(_ ledger: TunnelLedger) -> MetricSet {
        var metrics = MetricSet()
        ledger.render(into: &metrics)
        return metrics
    }

    func bytesOut(_ ledger: TunnelLedger, _ conn: String = "a", _ child: String = "net") -> Double? {
        metrics(ledger).value("strongswan_tunnel_bytes_total", [conn, child, "out"])
    }

    func transitions(_ ledger: TunnelLedger, _ conn: String = "a", _ child: String = "net") -> [Double?] {
        let m = metrics(ledger)
        return [m.value("strongswan_tunnel_transitions_total", [conn, child, "up"]),
                m.value("strongswan_tunnel_transitions_total", [conn, child, "down"])]
    }

    func lastChange(_ ledger: TunnelLedger, _ conn: String = "a", _ child: String = "net") -> Double? {
        metrics(ledger).value("strongswan_tunnel_last_change_timestamp_seconds", [conn, child])
    }

    // MARK: - Baseline and transitions

    func testFirstPollIsABaselineWithoutTransitions() {
        var ledger = ledger()
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", bytesOut: 500)])]), at: 100)
        XCTAssertEqual(transitions(ledger), [0, 0])
        XCTAssertNil(lastChange(ledger))
        XCTAssertEqual(bytesOut(ledger), 500, "traffic of SAs alive at start counts")
        // A poll that then finds the tunnel gone is a transition.
        ledger.observe(poll: [], at: 110)
        XCTAssertEqual(transitions(ledger), [0, 1])
        XCTAssertEqual(lastChange(ledger), 110)
        XCTAssertEqual(bytesOut(ledger), 500, "a vanished SA keeps its last polled counts")
    }

    func testTunnelWithSeveralSAsChangesOnFirstAndLast() {
        var ledger = ledger()
        ledger.observe(poll: [], at: 1)
        let one = Child("net", id: "1"), two = Child("net", id: "2")
        var summaries: [String] = []
        summaries += ledger.apply(event: "child-updown", message: C.childUpdown(up: true, "a", ike: "1", one), at: 2).map(\.summary)
        summaries += ledger.apply(event: "child-updown", message: C.childUpdown(up: true, "a", ike: "2", two), at: 3).map(\.summary)
        summaries += ledger.apply(event: "child-updown", message: C.childUpdown(up: false, "a", ike: "1", one), at: 4).map(\.summary)
        XCTAssertEqual(transitions(ledger), [1, 0])
        summaries += ledger.apply(event: "child-updown", message: C.childUpdown(up: false, "a", ike: "2", two), at: 5).map(\.summary)
        XCTAssertEqual(transitions(ledger), [1, 1])
        XCTAssertEqual(lastChange(ledger), 5)
        XCTAssertEqual(summaries, ["tunnel up", "CHILD_SA up", "CHILD_SA down", "tunnel down"])
    }

    func testEventsBeforeTheFirstPollCount() {
        var ledger = ledger()
        _ = ledger.apply(event: "child-updown", message: C.childUpdown(up: true, "a", ike: "1", Child("net", id: "1")), at: 5)
        XCTAssertEqual(transitions(ledger), [1, 0])
        // The first poll's snapshot may predate the event: the SA is not ended for missing from it.
        ledger.observe(poll: [], at: 6)
        XCTAssertEqual(transitions(ledger), [1, 0])
        ledger.observe(poll: [], at: 20)
        XCTAssertEqual(transitions(ledger), [1, 1])
    }

    // MARK: - Races between polls and events

    func testPollOlderThanUpEventDoesNotEndTheNewSA() {
        var ledger = ledger()
        ledger.observe(poll: [], at: 10)
        _ = ledger.apply(event: "child-updown", message: C.childUpdown(up: true, "a", ike: "1", Child("net", id: "7")), at: 12)
        // This poll ended after the event, but its snapshot was taken before: the SA is missing.
        ledger.observe(poll: [], at: 13)
        XCTAssertEqual(transitions(ledger), [1, 0])
        // The next poll necessarily started after the event: now missing means gone.
        ledger.observe(poll: [], at: 20)
        XCTAssertEqual(transitions(ledger), [1, 1])
        XCTAssertEqual(lastChange(ledger), 20)
    }

    func testStalePollAfterDownEventNeitherRevivesNorRecounts() {
        var ledger = ledger()
        let sa = Child("net", id: "3", bytesOut: 100, packetsOut: 1)
        ledger.observe(poll: C.poll([("a", "1", [sa])]), at: 10)
        var final = sa
        final.state = "DELETED"
        final.bytesOut = 250
        final.packetsOut = 3
        let changes = ledger.apply(event: "child-updown", message: C.childUpdown(up: false, "a", ike: "1", final), at: 15)
        XCTAssertEqual(changes.map(\.summary), ["tunnel down"])
        XCTAssertEqual(changes.first?.metadata["bytes_out"], "250")
        XCTAssertEqual(bytesOut(ledger), 250)
        // A poll whose snapshot predates the event still lists the SA as installed with older counts.
        var stale = sa
        stale.bytesOut = 200
        ledger.observe(poll: C.poll([("a", "1", [stale])]), at: 16)
        XCTAssertEqual(bytesOut(ledger), 250)
        XCTAssertEqual(transitions(ledger), [0, 1])
        ledger.observe(poll: [], at: 25)
        ledger.observe(poll: [], at: 35)
        XCTAssertEqual(bytesOut(ledger), 250)
        XCTAssertEqual(transitions(ledger), [0, 1])
        XCTAssertEqual(ledger.trackedSACount, 0, "forgotten once a poll that started after its end did not list it")
    }

    func testDeletedOldSAWithLateInboundTrafficIsCountedOnce() {
        var ledger = ledger()
        let old = Child("net", id: "2", bytesIn: 1000, bytesOut: 2000, packetsIn: 10, packetsOut: 20)
        ledger.observe(poll: C.poll([("a", "1", [old])]), at: 10)
        var rekeyed = old
        rekeyed.state = "REKEYED"
        rekeyed.bytesIn = 1100
        rekeyed.packetsIn = 11
        let new = Child("net", id: "5")
        let changes = ledger.apply(event: "child-rekey", message: C.childRekey("a", ike: "1", old: rekeyed, new: new), at: 12)
        XCTAssertEqual(changes.map(\.summary), ["CHILD_SA rekeyed"])
        XCTAssertEqual(changes.first?.metadata["old_child_id"], "2")
        XCTAssertEqual(changes.first?.metadata["child_id"], "5")
        XCTAssertEqual(metrics(ledger).value("strongswan_tunnel_bytes_total", ["a", "net", "in"]), 1100)
        // During the overlap the old SA, now DELETED, received a last inbound packet.
        var deleted = rekeyed
        deleted.state = "DELETED"
        deleted.bytesIn = 1150
        deleted.packetsIn = 12
        var newWithTraffic = new
        newWithTraffic.bytesOut = 40
        newWithTraffic.packetsOut = 1
        for at in [13.0, 14.0] {
            ledger.observe(poll: C.poll([("a", "1", [deleted, newWithTraffic])]), at: at)
            let m = metrics(ledger)
            XCTAssertEqual(m.value("strongswan_tunnel_bytes_total", ["a", "net", "in"]), 1150)
            XCTAssertEqual(m.value("strongswan_tunnel_bytes_total", ["a", "net", "out"]), 2040)
            XCTAssertEqual(m.value("strongswan_tunnel_packets_total", ["a", "net", "in"]), 12)
            XCTAssertEqual(m.value("strongswan_tunnel_packets_total", ["a", "net", "out"]), 21)
        }
        XCTAssertEqual(transitions(ledger), [0, 0])
        XCTAssertEqual(metrics(ledger).value("strongswan_tunnel_rekeys_total", ["a", "net"]), 1)
    }

    func testRekeyEventAfterAPollThatAlreadyShowsBothSAs() {
        var ledger = ledger()
        let old = Child("net", id: "2", bytesOut: 2000)
        ledger.observe(poll: C.poll([("a", "1", [old])]), at: 10)
        var deleted = old
        deleted.state = "DELETED"
        let new = Child("net", id: "5", bytesOut: 30)
        ledger.observe(poll: C.poll([("a", "1", [deleted, new])]), at: 20)
        var rekeyed = old
        rekeyed.state = "REKEYED"
        var newAtRekey = new
        newAtRekey.bytesOut = 0
        _ = ledger.apply(event: "child-rekey", message: C.childRekey("a", ike: "1", old: rekeyed, new: newAtRekey), at: 21)
        XCTAssertEqual(bytesOut(ledger), 2030)
        XCTAssertEqual(transitions(ledger), [0, 0])
        ledger.observe(poll: C.poll([("a", "1", [new])]), at: 30)
        XCTAssertEqual(bytesOut(ledger), 2030)
        XCTAssertEqual(transitions(ledger), [0, 0])
    }

    func testSAMissedByEventsEndsWithItsLastPolledCounts() {
        var ledger = ledger()
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", bytesOut: 10)])]), at: 10)
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", bytesOut: 70)])]), at: 20)
        // Rekeyed between polls without an event: the new SA appears, the old one is gone.
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "4", bytesOut: 5)])]), at: 30)
        XCTAssertEqual(bytesOut(ledger), 75)
        XCTAssertEqual(transitions(ledger), [0, 0], "a poll sees no transition where the tunnel stayed up")
    }

    func testCountersMissingInUpdatingStateDoNotLowerTotals() {
        var ledger = ledger()
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", bytesOut: 900)])]), at: 10)
        // MOBIKE update in progress: charon sends no counters (and no SPIs) in state UPDATING.
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", state: "UPDATING")])]), at: 20)
        XCTAssertEqual(bytesOut(ledger), 900)
        XCTAssertEqual(transitions(ledger), [0, 0])
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", bytesOut: 950)])]), at: 30)
        XCTAssertEqual(bytesOut(ledger), 950)
    }

    // MARK: - Losing charon

    func testUnreachableCharonThatComesBackUnchanged() {
        var ledger = ledger()
        let sa = Child("net", id: "1", bytesOut: 100)
        ledger.observe(poll: C.poll([("a", "1", [sa])]), at: 10)
        ledger.daemonLost(at: 15)
        ledger.daemonLost(at: 20)
        XCTAssertEqual(bytesOut(ledger), 100, "totals stay while charon is unreachable")
        var later = sa
        later.bytesOut = 180
        ledger.observe(poll: C.poll([("a", "1", [later])]), at: 30)
        XCTAssertEqual(bytesOut(ledger), 180)
        XCTAssertEqual(transitions(ledger), [0, 0])
        ledger.observe(poll: C.poll([("a", "1", [later])]), at: 40)
        XCTAssertEqual(bytesOut(ledger), 180)
    }

    func testRestartedCharonReusesUniqueIDs() {
        var ledger = ledger()
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", spi: "aaaa", bytesOut: 100)])]), at: 10)
        ledger.daemonLost(at: 15)
        // The new daemon numbers from 1 again; other SPIs.
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", spi: "bbbb", bytesOut: 7)])]), at: 30)
        XCTAssertEqual(bytesOut(ledger), 107)
        XCTAssertEqual(transitions(ledger), [1, 1])
        XCTAssertEqual(lastChange(ledger), 30)
        XCTAssertEqual(ledger.trackedSACount, 1)
    }

    func testRestartedCharonSeenByEventsFirst() {
        var ledger = ledger()
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", spi: "aaaa", bytesOut: 100)]),
                                     ("b", "2", [Child("net", id: "2", spi: "cccc", bytesOut: 5)])]), at: 10)
        ledger.daemonLost(at: 15)
        let summaries = ledger.apply(event: "child-updown", message: C.childUpdown(up: true, "a", ike: "1", Child("net", id: "1", spi: "bbbb")),
                                     at: 20).map(\.summary)
        XCTAssertEqual(summaries, ["tunnel up"])
        XCTAssertEqual(transitions(ledger), [1, 1], "down as of the loss, up now")
        XCTAssertEqual(lastChange(ledger), 20)
        XCTAssertEqual(transitions(ledger, "b", "net"), [0, 1], "nothing survives a restart")
        XCTAssertEqual(lastChange(ledger, "b", "net"), 15)
        ledger.observe(poll: C.poll([("a", "1", [Child("net", id: "1", spi: "bbbb", bytesOut: 3)])]), at: 30)
        XCTAssertEqual(bytesOut(ledger), 103)
        XCTAssertEqual(bytesOut(ledger, "b", "net"), 5)
    }

    // MARK: - Bounds

    /// A year of churn in miniature: every cycle an SA comes up, carries traffic, is rekeyed, and goes
    /// down; polls run every few cycles. Totals stay exact and the ledger stays small.
    func testLongChurnStaysBoundedAndExact() {
        var ledger = ledger()
        var time = 0.0
        var expected: UInt64 = 0
        var maxTracked = 0
        var nextID = 1
        for cycle in 0..<3000 {
            time += 1
            let conn = cycle % 2 == 0 ? "a" : "b"
            let first = Child("net", id: String(nextID))
            var rekeyedTo = Child("net", id: String(nextID + 1))
            nextID += 2
            _ = ledger.apply(event: "child-updown", message: C.childUpdown(up: true, conn, ike: "1", first), at: time)
            var old = first
            old.state = "REKEYED"
            old.bytesOut = 100
            _ = ledger.apply(event: "child-rekey", message: C.childRekey(conn, ike: "1", old: old, new: rekeyedTo), at: time + 0.2)
            rekeyedTo.state = "DELETED"
            rekeyedTo.bytesOut = 50
            _ = ledger.apply(event: "child-updown", message: C.childUpdown(up: false, conn, ike: "1", rekeyedTo), at: time + 0.4)
            expected += 150
            if cycle % 5 == 0 {
                // A poll racing with the events: lists the last ended SA still DELETED.
                ledger.observe(poll: C.poll([(conn, "1", [rekeyedTo])]), at: time + 0.5)
            }
            maxTracked = max(maxTracked, ledger.trackedSACount)
        }
        let m = metrics(ledger)
        let total = (m.value("strongswan_tunnel_bytes_total", ["a", "net", "out"]) ?? 0)
            + (m.value("strongswan_tunnel_bytes_total", ["b", "net", "out"]) ?? 0)
        XCTAssertEqual(total, Double(expected))
        XCTAssertEqual(m.value("strongswan_tunnel_rekeys_total", ["a", "net"]), 1500)
        XCTAssertEqual(m.value("strongswan_tunnel_transitions_total", ["b", "net", "up"]), 1500)
        XCTAssertLessThan(maxTracked, 40, "ended SAs are forgotten once polls no longer list them")
    }

    func testEndedSAsBoundedWithoutPolls() {
        var ledger = ledger(limits: TunnelLedger.Limits(maxEndedSAs: 100, endedRetention: 600))
        for index in 0..<1000 {
            let child = Child("net", id: String(index), bytesOut: 1)
            _ = ledger.apply(event: "child-updown", message: C.childUpdown(up: true, "a", ike: "1", child), at: Double(index))
            _ = ledger.apply(event: "child-updown", message: C.childUpdown(up: false, "a", ike: "1", child), at: Double(index) + 0.5)
            XCTAssertLessThanOrEqual(ledger.endedSACount, 100)
        }
        XCTAssertEqual(bytesOut(ledger), 1000)
        // Time alone forgets them too.
        _ = ledger.apply(event: "ike-updown", message: C.ikeUpdown(up: true, "a", ike: "9"), at: 5000)
        XCTAssertEqual(ledger.trackedSACount, 0)
        XCTAssertEqual(bytesOut(ledger), 1000)
    }

    func testIdleUnconfiguredTunnelsAreForgottenConfiguredOnesStay() {
        var ledger = ledger(limits: TunnelLedger.Limits(idleRetention: 100))
        ledger.observe(poll: C.poll([("old", "1", [Child("gone", id: "1", bytesOut: 5)])]), at: 10)
        ledger.observe(poll: [], at: 20)
        ledger.observe(poll: [], at: 30)
        XCTAssertEqual(metrics(ledger).value("strongswan_tunnel_bytes_total", ["old", "gone", "out"]), 5)
        ledger.observe(poll: [], at: 200)
        let m = metrics(ledger)
        XCTAssertNil(m.value("strongswan_tunnel_bytes_total", ["old", "gone", "out"]))
        XCTAssertNil(m.value("strongswan_connection_ike_sa_events_total", ["old", "up"]))
        XCTAssertEqual(m.value("strongswan_tunnel_bytes_total", ["a", "net", "out"]), 0)
        XCTAssertEqual(m.value("strongswan_connection_ike_sa_events_total", ["b", "rekey"]), 0)
    }

    // MARK: - Rendering, counts, logs

    func testRenderingOfConfiguredAndSeenTunnels() throws {
        var ledger = ledger()
        ledger.observe(poll: C.poll([("x", "1", [Child("y", id: "1", bytesIn: 3, bytesOut: 4, packetsIn: 1, packetsOut: 2)])]), at: 1)
        let m = metrics(ledger)
        XCTAssertEqual(m.families.map(\.name), [
            "strongswan_tunnel_transitions_total", "strongswan_tunnel_rekeys_total", "strongswan_tunnel_bytes_total",
            "strongswan_tunnel_packets_total", "strongswan_connection_ike_sa_events_total",
        ], "last change is absent until a transition is seen")
        let bytes = try XCTUnwrap(m.families.first { $0.name == "strongswan_tunnel_bytes_total" })
        XCTAssertEqual(bytes.type, .counter)
        XCTAssertEqual(bytes.labelNames, ["conn", "child", "direction"])
        XCTAssertEqual(bytes.samples.map { $0.labels.map(\.value) }, [
            ["a", "net", "in"], ["a", "net", "out"], ["b", "net", "in"], ["b", "net", "out"],
            ["b", "voice", "in"], ["b", "voice", "out"], ["x", "y", "in"], ["x", "y", "out"],
        ], "configured first, in charon's order, then seen ones")
        XCTAssertEqual(m.value("strongswan_tunnel_bytes_total", ["x", "y", "in"]), 3)
        XCTAssertEqual(m.value("strongswan_tunnel_packets_total", ["x", "y", "out"]), 2)
        XCTAssertEqual(m.series("strongswan_connection_ike_sa_events_total").count, 3 * 4)
        XCTAssertEqual(m.value("strongswan_tunnel_transitions_total", ["b", "voice", "down"]), 0)
        ledger.observe(poll: [], at: 2)
        let after = metrics(ledger)
        let lastChange = try XCTUnwrap(after.families.first { $0.name == "strongswan_tunnel_last_change_timestamp_seconds" })
        XCTAssertEqual(lastChange.type, .gauge)
        XCTAssertEqual(lastChange.samples.count, 1)
        XCTAssertEqual(lastChange.value(for: ["x", "y"]), 2)
        var bytesOut: [UInt8] = []
        after.encode(into: &bytesOut)
        XCTAssertTrue(String(decoding: bytesOut, as: UTF8.self).contains("strongswan_tunnel_bytes_total{conn=\"x\",child=\"y\",direction=\"out\"} 4"))
    }

    func testTunnelCounts() {
        var ledger = ledger()
        var dup = ConnectionConfig(name: "a")
        dup.children = [ChildConfig(name: "net"), ChildConfig(name: "net")]
        ledger.configure([dup] + Self.conns)
        let sas = C.poll([("a", "1", [Child("net", id: "1")]), ("b", "2", [Child("voice", id: "2", state: "INSTALLING")]),
                          ("z", "3", [Child("net", id: "3")])])
        XCTAssertTrue(ledger.tunnelCounts(sas: sas) == (1, 3))
    }

    func testIKEEventsCountedAndLogged() {
        var ledger = ledger()
        var changes: [TunnelChange] = []
        changes += ledger.apply(event: "ike-updown", message: C.ikeUpdown(up: true, "a", ike: "1"), at: 1)
        changes += ledger.apply(event: "ike-rekey", message: C.ikeRekey("a", old: "1", new: "2"), at: 2)
        changes += ledger.apply(event: "ike-update", message: C.ikeUpdate("a", ike: "2", newRemote: "198.51.100.7"), at: 3)
        changes += ledger.apply(event: "ike-update", message: C.ikeUpdate("(unnamed)", ike: "3", newRemote: "198.51.100.8"), at: 3)
        changes += ledger.apply(event: "ike-updown", message: C.ikeUpdown(up: false, "a", ike: "2"), at: 4)
        let m = metrics(ledger)
        XCTAssertEqual(["up", "down", "rekey", "update"].map { m.value("strongswan_connection_ike_sa_events_total", ["a", $0]) },
                       [1, 1, 1, 1])
        XCTAssertNil(m.value("strongswan_connection_ike_sa_events_total", ["(unnamed)", "update"]))
        XCTAssertEqual(changes.map(\.summary), ["IKE_SA up", "IKE_SA rekeyed", "IKE_SA endpoints changed", "IKE_SA down"])
        XCTAssertEqual(changes[1].metadata["old_ike_id"], "1")
        XCTAssertEqual(changes[1].metadata["ike_id"], "2")
        XCTAssertEqual(changes[2].metadata["remote_host"], "198.51.100.7")
        XCTAssertEqual(changes[2].metadata["old_remote_host"], "192.0.2.2")
        XCTAssertEqual(changes[3].metadata, ["conn": "a", "ike_id": "2", "remote_host": "192.0.2.2", "remote_id": "peer.example"])
        XCTAssertEqual(transitions(ledger), [0, 0], "IKE events alone change no tunnel")
    }

    func testMalformedEventsAreIgnored() {
        var ledger = ledger()
        var sas = C.poll([("a", "1", [Child("net", id: "1")])])
        ledger.observe(poll: sas, at: 1)
        let before = sas
        let garbage: [(String, VICIMessage)] = [
            ("child-updown", VICIMessage([.init("up", .value("yes")), .init("a", .value("not a section"))])),
            ("child-updown", VICIMessage([.init("a", .section(VICIMessage([.init("child-sas", .list(["x"]))])))])),
            ("child-updown", VICIMessage([.init("a", .section(VICIMessage([.init("child-sas", .section(VICIMessage([
                .init("net-", .section(VICIMessage([.init("name", .value("net")), .init("bytes-out", .value("-5"))]))),
            ])))])))])),
            ("child-rekey", VICIMessage([.init("a", .section(VICIMessage([.init("child-sas", .section(VICIMessage([
                .init("net", .section(VICIMessage([.init("old", .section(VICIMessage()))]))),
            ])))])))])),
            ("ike-rekey", VICIMessage([.init("a", .section(VICIMessage([.init("old", .value("1"))])))])),
            ("ike-updown", VICIMessage([.init("a", .section(VICIMessage()))])),
            ("ike-update", VICIMessage([.init("remote-host", .list([String]()))])),
            ("list-sa", C.childUpdown(up: false, "a", ike: "1", Child("net", id: "1"))),
            ("log", VICIMessage()),
        ]
        for (name, message) in garbage {
            _ = ledger.apply(event: name, message: message, at: 2)
            TunnelLedger.patch(&sas, event: name, message: message)
        }
        XCTAssertEqual(sas, before)
        XCTAssertEqual(transitions(ledger), [0, 0])
        XCTAssertEqual(ledger.trackedSACount, 1)
    }

    // MARK: - Patching the SA list

    func testPatchChildUpdownAndIdempotence() {
        var sas = C.poll([("a", "1", [Child("net", id: "1")])])
        let up = C.childUpdown(up: true, "b", ike: "2", Child("voice", id: "5"))
        TunnelLedger.patch(&sas, event: "child-updown", message: up)
        let once = sas
        TunnelLedger.patch(&sas, event: "child-updown", message: up)
        XCTAssertEqual(sas, once)
        XCTAssertEqual(sas.map(\.uniqueID), ["1", "2"])
        XCTAssertEqual(sas[1].childSAs.map(\.uniqueID), ["5"])
        // A second CHILD_SA under an existing IKE_SA.
        TunnelLedger.patch(&sas, event: "child-updown", message: C.childUpdown(up: true, "a", ike: "1", Child("net", id: "6")))
        XCTAssertEqual(sas[0].childSAs.map(\.uniqueID), ["1", "6"])
        let down = C.childUpdown(up: false, "a", ike: "1", Child("net", id: "1", state: "DELETED"))
        TunnelLedger.patch(&sas, event: "child-updown", message: down)
        TunnelLedger.patch(&sas, event: "child-updown", message: down)
        XCTAssertEqual(sas[0].childSAs.map(\.uniqueID), ["6"])
        TunnelLedger.patch(&sas, event: "ike-updown", message: C.ikeUpdown(up: false, "a", ike: "1"))
        XCTAssertEqual(sas.map(\.uniqueID), ["2"])
        TunnelLedger.patch(&sas, event: "ike-updown", message: C.ikeUpdown(up: true, "a", ike: "3"))
        XCTAssertEqual(sas.map(\.uniqueID), ["2", "3"])
        XCTAssertEqual(sas[1].childSAs, [])
    }

    func testPatchRekeysAndUpdate() {
        var sas = C.poll([("a", "1", [Child("net", id: "1"), Child("voice", id: "2")])])
        var old = Child("net", id: "1")
        old.state = "REKEYED"
        TunnelLedger.patch(&sas, event: "child-rekey", message: C.childRekey("a", ike: "1", old: old, new: Child("net", id: "9")))
        XCTAssertEqual(sas[0].childSAs.map(\.uniqueID), ["2", "9"])
        TunnelLedger.patch(&sas, event: "ike-rekey", message: C.ikeRekey("a", old: "1", new: "4"))
        XCTAssertEqual(sas.map(\.uniqueID), ["4"])
        XCTAssertEqual(sas[0].state, "ESTABLISHED")
        XCTAssertEqual(sas[0].childSAs.map(\.uniqueID), ["2", "9"])
        TunnelLedger.patch(&sas, event: "ike-update", message: C.ikeUpdate("a", ike: "4", newRemote: "198.51.100.7", newPort: "1234"))
        XCTAssertEqual(sas[0].remoteHost, "198.51.100.7")
        XCTAssertEqual(sas[0].remotePort, "1234")
        // A poll already listed the new IKE_SA (without CHILD_SAs) next to the old one: merged.
        var both = C.poll([("b", "5", [Child("net", id: "11")]), ("b", "6", [])])
        TunnelLedger.patch(&both, event: "ike-rekey", message: C.ikeRekey("b", old: "5", new: "6"))
        XCTAssertEqual(both.map(\.uniqueID), ["6"])
        XCTAssertEqual(both[0].childSAs.map(\.uniqueID), ["11"])
    }
}
