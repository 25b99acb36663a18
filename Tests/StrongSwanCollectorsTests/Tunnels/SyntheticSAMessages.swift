import StrongSwanCollectors
import VICI

/// Builds event and `list-sa` messages in charon 5.9.8's layouts (as recorded in Fixtures/events), for
/// synthetic scenarios the lab cannot produce on demand (races, long churn). Messages only, fed straight to
/// the ledger: no socket, no server (the one fake charon is TestSupport's `ScriptedCharon`).
enum SyntheticSAMessages {
    struct Child {
        var name: String
        var id: String
        var state = "INSTALLED"
        var spiIn: String
        var spiOut: String
        var bytesIn: UInt64 = 0
        var bytesOut: UInt64 = 0
        var packetsIn: UInt64 = 0
        var packetsOut: UInt64 = 0

        init(_ name: String, id: String, state: String = "INSTALLED", spi: String? = nil, bytesIn: UInt64 = 0,
             bytesOut: UInt64 = 0, packetsIn: UInt64 = 0, packetsOut: UInt64 = 0) {
            self.name = name
            self.id = id
            self.state = state
            let spi = spi ?? String(repeating: "0", count: max(0, 7 - id.count)) + id
            self.spiIn = "c" + spi.suffix(7)
            self.spiOut = "d" + spi.suffix(7)
            self.bytesIn = bytesIn
            self.bytesOut = bytesOut
            self.packetsIn = packetsIn
            self.packetsOut = packetsOut
        }

        var section: VICIMessage {
            var entries: [VICIMessage.Entry] = [
                .init("name", .value(name)), .init("uniqueid", .value(id)), .init("reqid", .value("1")),
                .init("state", .value(state)), .init("mode", .value("TUNNEL")),
            ]
            if ["INSTALLED", "REKEYING", "REKEYED", "DELETING", "DELETED"].contains(state) {
                entries += [
                    .init("protocol", .value("ESP")), .init("spi-in", .value(spiIn)), .init("spi-out", .value(spiOut)),
                    .init("encr-alg", .value("AES_GCM_16")), .init("encr-keysize", .value("128")),
                    .init("bytes-in", .value(String(bytesIn))), .init("packets-in", .value(String(packetsIn))),
                    .init("bytes-out", .value(String(bytesOut))), .init("packets-out", .value(String(packetsOut))),
                    .init("install-time", .value("1")),
                ]
            }
            entries += [.init("local-ts", .list(["10.1.0.1/32"])), .init("remote-ts", .list(["10.2.0.1/32"]))]
            return VICIMessage(entries)
        }
    }

    static func ikeKeys(id: String, state: String = "ESTABLISHED", remote: String = "192.0.2.2",
                        remoteID: String = "peer.example") -> [VICIMessage.Entry] {
        [
            .init("uniqueid", .value(id)), .init("version", .value("2")), .init("state", .value(state)),
            .init("local-host", .value("192.0.2.1")), .init("local-port", .value("4500")), .init("local-id", .value("gw.example")),
            .init("remote-host", .value(remote)), .init("remote-port", .value("4500")), .init("remote-id", .value(remoteID)),
            .init("initiator-spi", .value("0123456789abcdef")), .init("responder-spi", .value("fedcba9876543210")),
        ]
    }

    /// One `list-sa` event's IKE_SA (or the IKE part of a child-updown).
    static func ike(_ conn: String, id: String, state: String = "ESTABLISHED", remote: String = "192.0.2.2",
                    children: [Child]) -> VICIMessage {
        VICIMessage(ikeKeys(id: id, state: state, remote: remote) + [
            .init("child-sas", .section(VICIMessage(children.map { .init("\($0.name)-\($0.id)", .section($0.section)) }))),
        ])
    }

    /// A `list-sas` result as the collectors map it.
    static func poll(_ sas: [(conn: String, id: String, children: [Child])]) -> [IKESA] {
        sas.map { IKESA(name: $0.conn, section: ike($0.conn, id: $0.id, children: $0.children)) }
    }

    static func childUpdown(up: Bool, _ conn: String, ike id: String, _ child: Child, ikeState: String = "ESTABLISHED") -> VICIMessage {
        var entries: [VICIMessage.Entry] = up ? [.init("up", .value("yes"))] : []
        entries.append(.init(conn, .section(ike(conn, id: id, state: ikeState, children: [child]))))
        return VICIMessage(entries)
    }

    static func childRekey(_ conn: String, ike id: String, old: Child, new: Child) -> VICIMessage {
        let pair = VICIMessage([.init("old", .section(old.section)), .init("new", .section(new.section))])
        return VICIMessage([.init(conn, .section(VICIMessage(ikeKeys(id: id) + [
            .init("child-sas", .section(VICIMessage([.init(new.name, .section(pair))]))),
        ])))])
    }

    static func ikeUpdown(up: Bool, _ conn: String, ike id: String) -> VICIMessage {
        var entries: [VICIMessage.Entry] = up ? [.init("up", .value("yes"))] : []
        entries.append(.init(conn, .section(VICIMessage(ikeKeys(id: id, state: up ? "ESTABLISHED" : "DELETING")))))
        return VICIMessage(entries)
    }

    static func ikeRekey(_ conn: String, old: String, new: String) -> VICIMessage {
        VICIMessage([.init(conn, .section(VICIMessage([
            .init("old", .section(VICIMessage(ikeKeys(id: old, state: "REKEYING")))),
            .init("new", .section(VICIMessage(ikeKeys(id: new)))),
        ])))])
    }

    static func ikeUpdate(_ conn: String, ike id: String, newRemote: String, newPort: String = "4500") -> VICIMessage {
        VICIMessage([
            .init("local-host", .value("192.0.2.1")), .init("local-port", .value("4500")),
            .init("remote-host", .value(newRemote)), .init("remote-port", .value(newPort)),
            .init(conn, .section(VICIMessage(ikeKeys(id: id)))),
        ])
    }
}
