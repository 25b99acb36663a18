import PrometheusExposition
import VICI

/// `list-conns`: every loaded connection and its CHILD_SA configurations (the tunnels that should exist).
public enum ConnsCollector: CharonCollector {
    public static let name = "conns"
    public static let summary = "loaded connections and their CHILD_SA configs from `list-conns` (connection and tunnel info)"
    public static let commands = ["list-conns", "list-policies"]
    /// Configuration: runs on the configuration clock, and at once when `get-conns` shows that the loaded
    /// connections changed or an SA names a connection or CHILD_SA config this model does not know.
    public static let cadence = CollectorCadence.configuration
    public static let changeProbeCommands = ["get-conns"]

    /// The names of the connections loaded over VICI (`get-conns`: names only, a small fraction of the cost
    /// of `list-conns` to charon), sorted.
    public static func changeProbe(from vici: some VICIQuerying) async throws -> [String]? {
        let response = try await vici.call("get-conns", VICIMessage())
        return (response.list("conns") ?? []).sorted()
    }

    /// Whether this poll's SAs name a connection, or a CHILD_SA config of a connection, that `model` lacks
    /// (loaded by another backend, or loaded over VICI and unloaded and reloaded between two polls).
    public static func isOutdated(_ model: [ConnectionConfig], by state: CharonState) -> Bool {
        guard let sas = state.sas else { return false }
        // An index, not a set of children per connection: this runs at every poll.
        var index: [String: Int] = [:]
        index.reserveCapacity(model.count)
        for (position, conn) in model.enumerated() where index[conn.name] == nil { index[conn.name] = position }
        func unknown<Entry: SAListEntry>(_ entries: [Entry]) -> Bool {
            entries.contains { sa in
                guard sa.name != TunnelLedger.unnamed else { return false }
                guard let position = index[sa.name] else { return true }
                let children = model[position].children
                return sa.childSAs.contains { child in !children.contains { $0.name == child.name } }
            }
        }
        if let full = sas.full { return unknown(full) }
        return unknown(sas.summaries ?? [])
    }

    /// Whether an SA event (`ike-updown`, `child-updown`, `ike-rekey`, `child-rekey`) names a connection or a
    /// CHILD_SA config of a connection that `model` lacks.
    public static func isOutdated(_ model: [ConnectionConfig], byEvent event: String, message: VICIMessage) -> Bool {
        for (conn, section) in message.sections where conn != TunnelLedger.unnamed {
            guard let configured = model.first(where: { $0.name == conn }) else { return true }
            for (_, child) in section.section("child-sas")?.sections ?? [] {
                if let name = child.string("name"), !configured.children.contains(where: { $0.name == name }) {
                    return true
                }
            }
        }
        return false
    }

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
