import PrometheusExposition
import VICI

/// `list-sas`: every IKE_SA and CHILD_SA, streamed as `list-sa` events and mapped one by one.
///
/// By default only ``SAAggregatesRenderer``'s families are rendered: keyed by connection and tunnel names
/// (which it reads from the configured connections when they are collected), never by SA, so rekeys create
/// no series. With ``RenderContext/perSA`` (`--collector.sas.per-sa`) the per-SA families are rendered
/// too: they carry `conn` and `ike_id` (and `child`, `child_id` for CHILD_SAs), with descriptive labels
/// (peer addresses and identities among them) on the `*_info` series only. Without per-SA families only a
/// summary of each SA is kept between polls.
public enum SAsCollector: CharonCollector {
    public static let name = "sas"
    public static let summary = "IKE_SAs and CHILD_SAs from `list-sas`: SAs by state, per connection and tunnel (per SA with --collector.sas.per-sa)"
    public static let commands = ["list-sas"]

    public static func collect(from vici: some VICIQuerying) async throws -> SAList {
        var sas: [IKESA] = []
        _ = try await vici.stream("list-sas", event: "list-sa", VICIMessage()) { event in
            sas.append(contentsOf: IKESA.all(in: event))
        }
        return .full(sas)
    }

    /// Keeps summaries only when per-SA families are off (the list is kept between polls for events to patch).
    public static func retain(_ model: SAList, context: RenderContext) -> SAList {
        context.perSA ? model : model.summarized()
    }

    public static func render(_ model: SAList, context: RenderContext, into metrics: inout MetricSet) {
        let conns = context.state.conns
        if let sas = model.full {
            SAAggregatesRenderer.render(sas: sas, conns: conns, now: context.now, into: &metrics)
            renderPerSA(sas, context: context, into: &metrics)
        } else {
            SAAggregatesRenderer.render(sas: model.summaries ?? [], conns: conns, now: context.now, into: &metrics)
        }
    }

    static let ikeKeys = ["conn", "ike_id"]
    static let childKeys = ["conn", "ike_id", "child", "child_id"]

    /// The per-IKE_SA and per-CHILD_SA families (only with ``RenderContext/perSA``).
    static func renderPerSA(_ model: [IKESA], context: RenderContext, into metrics: inout MetricSet) {
        guard context.perSA else { return }
        let now = context.now
        var ikeInfo = family(
            "strongswan_ike_sa_info", "Descriptive labels of an IKE_SA (always 1).", .gauge,
            ikeKeys + ["version", "local_host", "local_port", "local_id", "remote_host", "remote_port", "remote_id",
                       "remote_eap_id", "remote_xauth_id", "initiator", "encr_alg", "encr_keysize", "integ_alg",
                       "integ_keysize", "prf_alg", "dh_group", "nat_local", "nat_remote", "nat_any",
                       "local_vips", "remote_vips"])
        var ikeState = family(
            "strongswan_ike_sa_state", "Current state of an IKE_SA (1 on the series of its state).", .gauge,
            ikeKeys + ["state"])
        var established = family(
            "strongswan_ike_sa_established_timestamp_seconds", "Unix time at which the IKE_SA was established.",
            .gauge, ikeKeys)
        var ikeRekey = family(
            "strongswan_ike_sa_rekey_timestamp_seconds", "Unix time at which the IKE_SA is scheduled to be rekeyed.",
            .gauge, ikeKeys)
        var reauth = family(
            "strongswan_ike_sa_reauth_timestamp_seconds",
            "Unix time at which the IKE_SA is scheduled to be re-authenticated.", .gauge, ikeKeys)
        var childCount = family("strongswan_ike_sa_child_sas", "CHILD_SAs of the IKE_SA.", .gauge, ikeKeys)

        var childInfo = family(
            "strongswan_child_sa_info", "Descriptive labels of a CHILD_SA (always 1).", .gauge,
            childKeys + ["reqid", "mode", "protocol", "encap", "encr_alg", "encr_keysize", "integ_alg",
                         "integ_keysize", "dh_group", "esn", "spi_in", "spi_out", "local_ts", "remote_ts"])
        var childState = family(
            "strongswan_child_sa_state", "Current state of a CHILD_SA (1 on the series of its state).", .gauge,
            childKeys + ["state"])
        var bytes = family(
            "strongswan_child_sa_bytes_total", "Bytes processed by the CHILD_SA, by direction.", .counter,
            childKeys + ["direction"])
        var packets = family(
            "strongswan_child_sa_packets_total", "Packets processed by the CHILD_SA, by direction.", .counter,
            childKeys + ["direction"])
        var lastPacket = family(
            "strongswan_child_sa_last_packet_timestamp_seconds",
            "Unix time of the last packet through the CHILD_SA, by direction (only once a packet was seen).",
            .gauge, childKeys + ["direction"])
        var installed = family(
            "strongswan_child_sa_installed_timestamp_seconds", "Unix time at which the CHILD_SA was installed.",
            .gauge, childKeys)
        var childRekey = family(
            "strongswan_child_sa_rekey_timestamp_seconds",
            "Unix time at which the CHILD_SA is scheduled to be rekeyed.", .gauge, childKeys)
        var expire = family(
            "strongswan_child_sa_expire_timestamp_seconds", "Unix time at which the CHILD_SA expires.", .gauge,
            childKeys)

        let childSACount = model.reduce(0) { $0 + $1.childSAs.count }
        ikeInfo?.reserveCapacity(model.count)
        ikeState?.reserveCapacity(model.count)
        established?.reserveCapacity(model.count)
        childCount?.reserveCapacity(model.count)
        childInfo?.reserveCapacity(childSACount)
        childState?.reserveCapacity(childSACount)
        bytes?.reserveCapacity(childSACount * 2)
        packets?.reserveCapacity(childSACount * 2)

        for sa in model {
            let ike = LabelValuePrefix(sa.name, sa.uniqueID)
            ikeInfo.add(1, ike, [
                sa.version, sa.localHost, sa.localPort, sa.localID, sa.remoteHost, sa.remotePort, sa.remoteID,
                sa.remoteEAPID, sa.remoteXAuthID, yesNo(sa.initiator), sa.encrAlg, sa.encrKeysize, sa.integAlg,
                sa.integKeysize, sa.prfAlg, sa.dhGroup, yesNo(sa.natLocal), yesNo(sa.natRemote), yesNo(sa.natAny),
                sa.localVIPs.joined(separator: ","), sa.remoteVIPs.joined(separator: ","),
            ])
            ikeState.add(1, ike, sa.state)
            if let ago = sa.establishedSecondsAgo { established.add(now - Double(ago), ike) }
            if let until = sa.rekeySecondsFromNow { ikeRekey.add(now + Double(until), ike) }
            if let until = sa.reauthSecondsFromNow { reauth.add(now + Double(until), ike) }
            childCount.add(Double(sa.childSAs.count), ike)

            for child in sa.childSAs {
                let key = ike.appending(child.name, child.uniqueID)
                childInfo.add(1, key, [
                    child.reqid, child.mode, child.protocol, yesNo(child.encap), child.encrAlg, child.encrKeysize,
                    child.integAlg, child.integKeysize, child.dhGroup, yesNo(child.esn), child.spiIn, child.spiOut,
                    child.localTS.joined(separator: ","), child.remoteTS.joined(separator: ","),
                ])
                childState.add(1, key, child.state)
                bytes.add(Double(child.bytesIn), key, "in")
                bytes.add(Double(child.bytesOut), key, "out")
                packets.add(Double(child.packetsIn), key, "in")
                packets.add(Double(child.packetsOut), key, "out")
                if let ago = child.useInSecondsAgo { lastPacket.add(now - Double(ago), key, "in") }
                if let ago = child.useOutSecondsAgo { lastPacket.add(now - Double(ago), key, "out") }
                if let ago = child.installedSecondsAgo { installed.add(now - Double(ago), key) }
                if let until = child.rekeySecondsFromNow { childRekey.add(now + Double(until), key) }
                if let until = child.lifeSecondsFromNow { expire.add(now + Double(until), key) }
            }
        }
        for family in [ikeInfo, ikeState, established, ikeRekey, reauth, childCount,
                       childInfo, childState, bytes, packets, lastPacket, installed, childRekey, expire] {
            metrics.addNonEmpty(family)
        }
    }

    @inline(__always)
    static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
}

extension CharonState {
    /// The SA list (`list-sas`, patched by events between polls), when the `sas` collector has one.
    public var sas: SAList? {
        get { self[SAsCollector.self] }
        set { self[SAsCollector.self] = newValue }
    }

    /// Applies one VICI event to the kept SA list, if there is one, without copying it.
    public mutating func patchSAs(event name: String, message: VICIMessage) {
        modify(SAsCollector.self) { $0.patch(event: name, message: message) }
    }
}
