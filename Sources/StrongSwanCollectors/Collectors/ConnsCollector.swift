import PrometheusExposition
import VICI

/// `list-conns`: every loaded connection and its CHILD_SA configurations (the tunnels that should exist).
public enum ConnsCollector: CharonCollector {
    public static let name = "conns"
    public static let summary = "loaded connections and their CHILD_SA configs from `list-conns` (connection and tunnel info)"
    public static let commands = ["list-conns", "list-policies"]

    public static func collect(from vici: some VICIQuerying) async throws -> [ConnectionConfig] {
        var conns: [ConnectionConfig] = []
        _ = try await vici.stream("list-conns", event: "list-conn", VICIMessage()) { event in
            conns.append(contentsOf: ConnectionConfig.all(in: event))
        }
        var trapQuery = VICIMessage()
        trapQuery["trap"] = .value("yes")
        var traps = Set<String>()
        _ = try await vici.stream("list-policies", event: "list-policy", trapQuery) { event in
            for (_, policy) in event.sections {
                if let child = policy.string("child") { traps.insert((policy.string("ike") ?? "") + "\u{0}" + child) }
            }
        }
        if !traps.isEmpty {
            for index in conns.indices {
                for childIndex in conns[index].children.indices {
                    let child = conns[index].children[childIndex].name
                    if traps.contains(conns[index].name + "\u{0}" + child) || traps.contains("\u{0}" + child) {
                        conns[index].children[childIndex].trapInstalled = true
                    }
                }
            }
        }
        return conns
    }

    public static func render(_ model: [ConnectionConfig], context: RenderContext, into metrics: inout MetricSet) {
        var info = family(
            "strongswan_connection_info", "A loaded connection (IKE_SA config) and its descriptive labels (always 1).",
            .gauge,
            ["conn", "version", "local_addrs", "remote_addrs", "local_auth", "remote_auth", "remote_id",
             "rekey_time", "reauth_time"])
        var tunnels = family(
            "strongswan_tunnel_info",
            "A configured tunnel (CHILD_SA config) and its labels (always 1). kind is site_to_site (a concrete peer address), responder (remote_addrs %any or ranges: a road-warrior template) or trap (an installed trap policy: negotiated on demand).",
            .gauge,
            ["conn", "child", "kind", "mode", "dpd_action", "close_action", "local_ts", "remote_ts", "remote_addrs"])
        for conn in model {
            let remoteAddrs = conn.remoteAddrs.joined(separator: ",")
            info.add(1, [
                conn.name, conn.version, conn.localAddrs.joined(separator: ","), remoteAddrs,
                conn.localAuth.joined(separator: ","), conn.remoteAuth.joined(separator: ","), conn.remoteID,
                conn.rekeyTime, conn.reauthTime,
            ])
            for child in conn.children {
                tunnels.add(1, [
                    conn.name, child.name, TunnelKind(connection: conn, child: child).rawValue, child.mode,
                    child.dpdAction, child.closeAction, child.localTS.joined(separator: ","),
                    child.remoteTS.joined(separator: ","), remoteAddrs,
                ])
            }
        }
        metrics.addNonEmpty(info)
        metrics.addNonEmpty(tunnels)
    }
}

extension CharonState {
    /// The loaded connections (`list-conns`), when the `conns` collector has them.
    public var conns: [ConnectionConfig]? {
        get { self[ConnsCollector.self] }
        set { self[ConnsCollector.self] = newValue }
    }
}
