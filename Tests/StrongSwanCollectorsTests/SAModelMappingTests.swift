import StrongSwanCollectors
import VICI
import XCTest

/// Every key charon sends for an IKE_SA and a CHILD_SA lands in its field (the mappings dispatch on the key's
/// length before comparing it, so a wrong length would silently drop a key).
final class SAModelMappingTests: XCTestCase {
    func testEveryIKESAKeyIsMapped() {
        let child = VICIMessage([
            .init("name", .value("net")), .init("uniqueid", .value("7")), .init("reqid", .value("3")),
            .init("state", .value("INSTALLED")), .init("mode", .value("TUNNEL")), .init("protocol", .value("ESP")),
            .init("encap", .value("yes")), .init("spi-in", .value("c1")), .init("spi-out", .value("c2")),
            .init("encr-alg", .value("AES_CBC")), .init("encr-keysize", .value("256")),
            .init("integ-alg", .value("HMAC_SHA2_256_128")), .init("integ-keysize", .value("128")),
            .init("dh-group", .value("MODP_2048")), .init("esn", .value("1")), .init("bytes-in", .value("11")),
            .init("packets-in", .value("12")), .init("use-in", .value("13")), .init("bytes-out", .value("14")),
            .init("packets-out", .value("15")), .init("use-out", .value("16")), .init("rekey-time", .value("17")),
            .init("life-time", .value("18")), .init("install-time", .value("19")),
            .init("local-ts", .list(["10.1.0.0/16"])), .init("remote-ts", .list(["10.2.0.0/16", "10.3.0.0/16"])),
        ])
        let ike = VICIMessage([
            .init("uniqueid", .value("5")), .init("version", .value("2")), .init("state", .value("ESTABLISHED")),
            .init("local-host", .value("192.0.2.1")), .init("local-port", .value("500")),
            .init("local-id", .value("gw")), .init("remote-host", .value("192.0.2.2")),
            .init("remote-port", .value("4500")), .init("remote-id", .value("peer")),
            .init("remote-eap-id", .value("eap")), .init("remote-xauth-id", .value("xauth")),
            .init("initiator", .value("yes")), .init("nat-local", .value("yes")), .init("nat-remote", .value("yes")),
            .init("nat-fake", .value("yes")), .init("nat-any", .value("yes")), .init("encr-alg", .value("AES_GCM_16")),
            .init("encr-keysize", .value("128")), .init("integ-alg", .value("HMAC_SHA1_96")),
            .init("integ-keysize", .value("96")), .init("prf-alg", .value("PRF_HMAC_SHA2_256")),
            .init("dh-group", .value("CURVE_25519")), .init("established", .value("21")),
            .init("rekey-time", .value("22")), .init("reauth-time", .value("23")),
            .init("local-vips", .list(["10.9.0.1"])), .init("remote-vips", .list(["10.9.0.2"])),
            .init("child-sas", .section(VICIMessage([.init("net-7", .section(child))]))),
        ])
        let sa = IKESA(name: "site", section: ike)
        XCTAssertEqual(
            [sa.uniqueID, sa.version, sa.state, sa.localHost, sa.localPort, sa.localID, sa.remoteHost, sa.remotePort,
             sa.remoteID, sa.remoteEAPID, sa.remoteXAuthID, sa.encrAlg, sa.encrKeysize, sa.integAlg, sa.integKeysize,
             sa.prfAlg, sa.dhGroup],
            ["5", "2", "ESTABLISHED", "192.0.2.1", "500", "gw", "192.0.2.2", "4500", "peer", "eap", "xauth",
             "AES_GCM_16", "128", "HMAC_SHA1_96", "96", "PRF_HMAC_SHA2_256", "CURVE_25519"])
        XCTAssertEqual([sa.initiator, sa.natLocal, sa.natRemote, sa.natFake, sa.natAny], [true, true, true, true, true])
        XCTAssertEqual([sa.establishedSecondsAgo, sa.rekeySecondsFromNow, sa.reauthSecondsFromNow], [21, 22, 23])
        XCTAssertEqual(sa.localVIPs, ["10.9.0.1"])
        XCTAssertEqual(sa.remoteVIPs, ["10.9.0.2"])
        XCTAssertEqual(sa.childSAs.count, 1)
        guard let c = sa.childSAs.first else { return }
        XCTAssertEqual(
            [c.name, c.uniqueID, c.reqid, c.state, c.mode, c.protocol, c.spiIn, c.spiOut, c.encrAlg, c.encrKeysize,
             c.integAlg, c.integKeysize, c.dhGroup],
            ["net", "7", "3", "INSTALLED", "TUNNEL", "ESP", "c1", "c2", "AES_CBC", "256", "HMAC_SHA2_256_128", "128",
             "MODP_2048"])
        XCTAssertTrue(c.encap)
        XCTAssertTrue(c.esn)
        XCTAssertEqual([c.bytesIn, c.packetsIn, c.bytesOut, c.packetsOut], [11, 12, 14, 15])
        XCTAssertEqual([c.useInSecondsAgo, c.useOutSecondsAgo, c.rekeySecondsFromNow, c.lifeSecondsFromNow,
                        c.installedSecondsAgo], [13, 16, 17, 18, 19])
        XCTAssertEqual(c.localTS, ["10.1.0.0/16"])
        XCTAssertEqual(c.remoteTS, ["10.2.0.0/16", "10.3.0.0/16"])
    }
}
