import PrometheusExposition

/// Per-connection aggregates that stay bounded with any number of SAs: IKE_SAs and CHILD_SAs by state for
/// every connection (configured or seen), and whether each configured tunnel is up.
///
/// Needs the `sas` model; uses the `conns` model (when collected) so that a configured connection or tunnel
/// without any SA reads 0 instead of disappearing.
public enum ConnectionStatesRenderer {
    /// Renders `strongswan_connection_ike_sas`, `strongswan_connection_child_sas` and `strongswan_tunnel_up`.
    public static func render<Entry: SAListEntry>(sas: [Entry], conns: [ConnectionConfig]?, into metrics: inout MetricSet) {
        // Connection and child names in a stable order: configured first (charon's order), then seen-only.
        var connOrder: [String] = []
        var children: [String: [String]] = [:]
        var ikeCounts: [String: [String: Int]] = [:]
        var childCounts: [String: [String: [String: Int]]] = [:]
        func noteConn(_ conn: String) {
            if ikeCounts[conn] == nil { ikeCounts[conn] = [:]; connOrder.append(conn) }
        }
        func noteChild(_ conn: String, _ child: String) {
            noteConn(conn)
            if childCounts[conn, default: [:]][child] == nil {
                childCounts[conn, default: [:]][child] = [:]
                children[conn, default: []].append(child)
            }
        }
        for conn in conns ?? [] {
            noteConn(conn.name)
            for child in conn.children { noteChild(conn.name, child.name) }
        }
        for sa in sas {
            noteConn(sa.name)
            ikeCounts[sa.name, default: [:]][sa.state, default: 0] += 1
            for child in sa.childSAs {
                noteChild(sa.name, child.name)
                childCounts[sa.name, default: [:]][child.name, default: [:]][child.state, default: 0] += 1
            }
        }

        var ike = family(
            "strongswan_connection_ike_sas", "IKE_SAs of a connection by state (every state listed, 0 when none).",
            .gauge, ["conn", "state"])
        var child = family(
            "strongswan_connection_child_sas",
            "CHILD_SAs of a connection's CHILD_SA config by state (every state listed, 0 when none).", .gauge,
            ["conn", "child", "state"])
        var up = family(
            "strongswan_tunnel_up",
            "1 while at least one CHILD_SA of the configured tunnel is installed (an SA being replaced by a rekey counts), else 0.",
            .gauge, ["conn", "child"])
        let configured: Set<String> = Set((conns ?? []).flatMap { conn in conn.children.map { conn.name + "\u{0}" + $0.name } })
        for conn in connOrder {
            let counts = ikeCounts[conn] ?? [:]
            for state in SAStates.ike { ike.add(Double(counts[state] ?? 0), [conn, state]) }
            for (state, count) in counts.sorted(by: { $0.key < $1.key }) where !SAStates.ike.contains(state) {
                ike.add(Double(count), [conn, state])
            }
            for childName in children[conn] ?? [] {
                let counts = childCounts[conn]?[childName] ?? [:]
                for state in SAStates.child { child.add(Double(counts[state] ?? 0), [conn, childName, state]) }
                for (state, count) in counts.sorted(by: { $0.key < $1.key }) where !SAStates.child.contains(state) {
                    child.add(Double(count), [conn, childName, state])
                }
                if conns == nil || configured.contains(conn + "\u{0}" + childName) {
                    let isUp = counts.contains { SAStates.childUp.contains($0.key) && $0.value > 0 }
                    up.add(isUp ? 1 : 0, [conn, childName])
                }
            }
        }
        for family in [ike, child, up] { metrics.addNonEmpty(family) }
    }
}
