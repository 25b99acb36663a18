import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import VICI
import XCTest

/// Tunnel state and per-connection aggregates from SA lists shaped like charon 5.9.8's (child keys
/// `<name>-<uniqueid>`, a rekey leaving the old SA DELETED next to the new INSTALLED one).
final class ConnectionStatesRendererTests: XCTestCase {
    func child(_ name: String, _ id: String, _ state: String) -> VICIMessage.Entry {
        VICIMessage.Entry("\(name)-\(id)", .section(VICIMessage([
            .init("name", .value(name)), .init("uniqueid", .value(id)), .init("state", .value(state)),
            .init("bytes-in", .value("100")), .init("bytes-out", .value("200")),
        ])))
    }

    func sa(_ conn: String, _ id: String, _ state: String, _ children: [VICIMessage.Entry]) -> IKESA {
        IKESA(name: conn, section: VICIMessage([
            .init("uniqueid", .value(id)), .init("state", .value(state)),
            .init("child-sas", .section(VICIMessage(children))),
        ]))
    }

    func render(_ sas: [IKESA], _ conns: [ConnectionConfig]?) throws -> ParsedExposition {
        var metrics = MetricSet()
        ConnectionStatesRenderer.render(sas: sas, conns: conns, into: &metrics)
        return try ExpositionParser().parse(metrics.encoded())
    }

    func conn(_ name: String, children: [String]) -> ConnectionConfig {
        var config = ConnectionConfig(name: name)
        config.children = children.map { ChildConfig(name: $0) }
        return config
    }

    func testRekeyOverlapIsUpAndOnlyDeletedIsDown() throws {
        let sas = [
            sa("site-1", "1", "ESTABLISHED", [child("net-1", "7", "DELETED"), child("net-1", "9", "INSTALLED")]),
            sa("site-2", "2", "ESTABLISHED", [child("net-2", "8", "DELETED")]),
        ]
        let out = try render(sas, [conn("site-1", children: ["net-1"]), conn("site-2", children: ["net-2"]),
                                   conn("site-3", children: ["net-3"])])
        XCTAssertEqual(out.value("strongswan_tunnel_up", ["conn": "site-1", "child": "net-1"]), 1)
        XCTAssertEqual(out.value("strongswan_tunnel_up", ["conn": "site-2", "child": "net-2"]), 0)
        XCTAssertEqual(out.value("strongswan_tunnel_up", ["conn": "site-3", "child": "net-3"]), 0,
                       "a configured tunnel without any SA reads 0, not missing")
        XCTAssertEqual(out.value("strongswan_connection_child_sas", ["conn": "site-1", "child": "net-1", "state": "DELETED"]), 1)
        XCTAssertEqual(out.value("strongswan_connection_child_sas", ["conn": "site-1", "child": "net-1", "state": "INSTALLED"]), 1)
        XCTAssertEqual(out.value("strongswan_connection_ike_sas", ["conn": "site-3", "state": "ESTABLISHED"]), 0)
        XCTAssertEqual(out.samples(named: "strongswan_connection_ike_sas").count, 3 * SAStates.ike.count)
    }

    func testRekeyingOldSAKeepsTunnelUp() throws {
        let out = try render([sa("a", "1", "ESTABLISHED", [child("c", "1", "REKEYING"), child("c", "2", "INSTALLING")])],
                             [conn("a", children: ["c"])])
        XCTAssertEqual(out.value("strongswan_tunnel_up", ["conn": "a", "child": "c"]), 1)
    }

    func testManyIKESAsWithOneNameAreCountedNotDuplicated() throws {
        let sas = (1...3).map { sa("rw", "\($0)", "ESTABLISHED", [child("rw", "\($0)", "INSTALLED")]) }
        var metrics = MetricSet()
        SAsCollector.render(.full(sas), context: RenderContext(now: 1000), into: &metrics)
        XCTAssertEqual(metrics.droppedSampleCount, 0)
        let out = try ExpositionParser().parse(metrics.encoded())
        XCTAssertEqual(out.value("strongswan_connection_ike_sas", ["conn": "rw", "state": "ESTABLISHED"]), 3)
        XCTAssertEqual(out.samples(named: "strongswan_ike_sa_state").count, 3)
        XCTAssertEqual(out.samples(named: "strongswan_child_sa_bytes_total").count, 6)
        XCTAssertEqual(out.value("strongswan_child_sa_bytes_total",
                                 ["conn": "rw", "ike_id": "2", "child": "rw", "child_id": "2", "direction": "out"]), 200)
    }

    func testCountersMapping() throws {
        let message = VICIMessage([.init("counters", .section(VICIMessage([
            .init("", .section(VICIMessage([
                .init("ike-rekey-init", .value("3")), .init("ike-auth-out-resp", .value("5")),
                .init("invalid-spi", .value("2")), .init("future-counter", .value("9")), .init("child-rekey", .value("x")),
            ]))),
        ]))), .init("success", .value("yes"))])
        var metrics = MetricSet()
        CountersCollector.render(IKECounters(message: message), context: RenderContext(now: 0), into: &metrics)
        let out = try ExpositionParser().parse(metrics.encoded())
        XCTAssertEqual(out.value("strongswan_ike_rekeys_total", ["role": "initiator"]), 3)
        XCTAssertEqual(out.value("strongswan_ike_messages_total",
                                 ["exchange": "ike_auth", "direction": "out", "type": "response"]), 5)
        XCTAssertEqual(out.value("strongswan_ike_invalid_spi_total"), 2)
        XCTAssertNil(out.family(named: "strongswan_child_rekeys_total"), "a non-number is skipped, not exported as 0")
    }

    func testStatsSinceParsesLocalTime() {
        XCTAssertNotNil(DaemonStats.parseSince("Nov 25 11:30:01 2026"))
        XCTAssertNil(DaemonStats.parseSince("Nov 25 25:30:01 2026"))
        XCTAssertNil(DaemonStats.parseSince("garbage"))
        XCTAssertNil(DaemonStats.parseSince(String(repeating: "9", count: 10_000)))
    }

    func testMalformedNumbersDoNotTrap() {
        XCTAssertNil(VICIMessage.parseUInt64(Array("18446744073709551616".utf8)))
        XCTAssertEqual(VICIMessage.parseUInt64(Array("18446744073709551615".utf8)), UInt64.max)
        XCTAssertNil(VICIMessage.parseInt64(Array("-9223372036854775809".utf8)))
        XCTAssertEqual(VICIMessage.parseInt64(Array("-9223372036854775808".utf8)), Int64.min)
        XCTAssertNil(VICIMessage.parseUInt64(Array("12a".utf8)))
    }
}
