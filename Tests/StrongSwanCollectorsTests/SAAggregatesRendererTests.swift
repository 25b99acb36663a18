import PrometheusExposition
import PrometheusExpositionTesting
import StrongSwanCollectors
import VICI
import XCTest

/// Tunnel state and per-connection aggregates from SA lists shaped like charon 5.9.8's (child keys
/// `<name>-<uniqueid>`, a rekey leaving the old SA DELETED next to the new INSTALLED one).
final class SAAggregatesRendererTests: XCTestCase {
    func child(_ name: String, _ id: String, _ state: String, installedAgo: Int = 10,
               encr: String = "AES_GCM_16", keysize: String = "256") -> VICIMessage.Entry {
        VICIMessage.Entry("\(name)-\(id)", .section(VICIMessage([
            .init("name", .value(name)), .init("uniqueid", .value(id)), .init("state", .value(state)),
            .init("bytes-in", .value("100")), .init("bytes-out", .value("200")),
            .init("install-time", .value("\(installedAgo)")), .init("encr-alg", .value(encr)),
            .init("encr-keysize", .value(keysize)), .init("dh-group", .value(id == "1" ? "" : "CURVE_25519")),
        ])))
    }

    func sa(_ conn: String, _ id: String, _ state: String, _ children: [VICIMessage.Entry],
            establishedAgo: Int = 100) -> IKESA {
        IKESA(name: conn, section: VICIMessage([
            .init("uniqueid", .value(id)), .init("state", .value(state)),
            .init("established", .value("\(establishedAgo)")), .init("encr-alg", .value("AES_CBC")),
            .init("encr-keysize", .value("256")), .init("integ-alg", .value("HMAC_SHA2_256_128")),
            .init("prf-alg", .value("PRF_HMAC_SHA2_256")), .init("dh-group", .value("CURVE_25519")),
            .init("child-sas", .section(VICIMessage(children))),
        ]))
    }

    func render(_ sas: [IKESA], _ conns: [ConnectionConfig]?, now: Double = 1_000) throws -> ParsedExposition {
        var metrics = MetricSet()
        SAAggregatesRenderer.render(sas: sas, conns: conns, now: now, into: &metrics)
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
        XCTAssertEqual(out.value("strongswan_child_sas_by_state", ["state": "DELETED"]), 2)
        XCTAssertEqual(out.value("strongswan_child_sas_by_state", ["state": "INSTALLED"]), 1)
        XCTAssertEqual(out.value("strongswan_ike_sas_by_state", ["state": "ESTABLISHED"]), 2)
        XCTAssertEqual(out.value("strongswan_ike_sas_by_state", ["state": "CONNECTING"]), 0)
        XCTAssertEqual(out.samples(named: "strongswan_ike_sas_by_state").count, SAStates.ike.count)
        XCTAssertEqual(out.samples(named: "strongswan_child_sas_by_state").count, SAStates.child.count)
        XCTAssertEqual(out.value("strongswan_connection_ike_sas", ["conn": "site-3"]), 0)
        XCTAssertEqual(out.value("strongswan_connection_ike_sas", ["conn": "site-1"]), 1)
        XCTAssertEqual(out.samples(named: "strongswan_connection_ike_sas").count, 3, "one series per connection")
        XCTAssertNil(out.family(named: "strongswan_connection_child_sas"), "no per-state series per tunnel by default")
    }

    /// The newest established IKE_SA and the newest up CHILD_SA give the timestamps; the algorithms of the up
    /// CHILD_SAs give the suites (the DELETED SA's are not listed; a DH group on the rekeyed SA changes nothing).
    func testTimestampsAndAlgorithmsComeFromTheNewestUpSAs() throws {
        let sas = [
            sa("site-1", "1", "ESTABLISHED", [child("net-1", "1", "DELETED", installedAgo: 3_000, encr: "AES_CBC", keysize: "128"),
                                             child("net-1", "2", "INSTALLED", installedAgo: 30),
                                             child("net-1", "3", "REKEYED", installedAgo: 60)], establishedAgo: 500),
            sa("site-1", "4", "ESTABLISHED", [], establishedAgo: 50),
            sa("site-1", "5", "CONNECTING", [], establishedAgo: 5),
        ]
        let out = try render(sas, [conn("site-1", children: ["net-1"])], now: 10_000)
        XCTAssertEqual(out.value("strongswan_connection_established_timestamp_seconds", ["conn": "site-1"]), 9_950,
                       "the newest ESTABLISHED IKE_SA (a CONNECTING one does not count)")
        XCTAssertEqual(out.value("strongswan_connection_ike_sas", ["conn": "site-1"]), 3)
        XCTAssertEqual(out.value("strongswan_tunnel_installed_timestamp_seconds", ["conn": "site-1", "child": "net-1"]), 9_970)
        let suites = out.samples(named: "strongswan_tunnel_algorithms_info")
        XCTAssertEqual(suites.count, 1, "INSTALLED and REKEYED share one suite; the DELETED SA's is not listed")
        XCTAssertEqual(suites.first?.labels.first { $0.name == "ike" }?.value, "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519")
        XCTAssertEqual(suites.first?.labels.first { $0.name == "esp" }?.value, "AES_GCM_16-256")
    }

    func testADownTunnelHasNoTimestampOrAlgorithms() throws {
        let out = try render([sa("site-2", "2", "CONNECTING", [])], [conn("site-2", children: ["net-2"])])
        XCTAssertEqual(out.value("strongswan_tunnel_up", ["conn": "site-2", "child": "net-2"]), 0)
        XCTAssertNil(out.family(named: "strongswan_tunnel_installed_timestamp_seconds"))
        XCTAssertNil(out.family(named: "strongswan_tunnel_algorithms_info"))
        XCTAssertNil(out.family(named: "strongswan_connection_established_timestamp_seconds"))
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
        XCTAssertEqual(out.value("strongswan_connection_ike_sas", ["conn": "rw"]), 3)
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
