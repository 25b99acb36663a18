import PrometheusExposition

/// The default view of the SAs: families keyed by configuration names (`conn`, `child`) or by nothing, whose
/// label sets never change at a rekey, a reauthentication or a charon restart. Their number is bounded by
/// the configured connections and tunnels, however many SAs (road warriors) they carry.
///
/// Needs the `sas` model; uses the `conns` model (when collected) so that a configured connection or tunnel
/// without any SA still reads 0 instead of disappearing.
public enum SAAggregatesRenderer {
    /// Renders `strongswan_ike_sas_by_state`, `strongswan_child_sas_by_state`, `strongswan_connection_ike_sas`,
    /// `strongswan_connection_established_timestamp_seconds`, `strongswan_tunnel_up`,
    /// `strongswan_tunnel_installed_timestamp_seconds` and `strongswan_tunnel_algorithms_info`. `now` turns
    /// charon's "seconds ago" into timestamps.
    public static func render<Entry: SAListEntry>(
        sas: [Entry], conns: [ConnectionConfig]?, now: Double, into metrics: inout MetricSet
    ) {
        var ikeStates: [String: Int] = [:]
        var childStates: [String: Int] = [:]
        var connOrder: [String] = []
        var connections: [String: ConnectionAggregate] = [:]
        var tunnelOrder: [TunnelName] = []
        var tunnels: [TunnelName: TunnelAggregate] = [:]
        for conn in conns ?? [] {
            if connections[conn.name] == nil { connections[conn.name] = ConnectionAggregate(); connOrder.append(conn.name) }
            for child in conn.children {
                let key = TunnelName(conn: conn.name, child: child.name)
                if tunnels[key] == nil { tunnels[key] = TunnelAggregate(configured: true); tunnelOrder.append(key) }
            }
        }
        for sa in sas {
            ikeStates[sa.state, default: 0] += 1
            if connections[sa.name] == nil { connections[sa.name] = ConnectionAggregate(); connOrder.append(sa.name) }
            connections[sa.name]?.note(sa)
            for child in sa.childSAs {
                childStates[child.state, default: 0] += 1
                let key = TunnelName(conn: sa.name, child: child.name)
                if tunnels[key] == nil { tunnels[key] = TunnelAggregate(configured: conns == nil); tunnelOrder.append(key) }
                tunnels[key]?.note(child, ikeSuite: sa.algorithmSuite)
            }
        }

        var ikeByState = family(
            "strongswan_ike_sas_by_state",
            "IKE_SAs charon holds, by state (every state charon knows listed, 0 when none).", .gauge, ["state"])
        var childByState = family(
            "strongswan_child_sas_by_state",
            "CHILD_SAs charon holds, by state (every state charon knows listed, 0 when none).", .gauge, ["state"])
        addStates(ikeStates, known: SAStates.ike, to: &ikeByState)
        addStates(childStates, known: SAStates.child, to: &childByState)

        var ikeSAs = family(
            "strongswan_connection_ike_sas", "IKE_SAs of the connection, in any state (road warriors: connected clients).",
            .gauge, ["conn"])
        var established = family(
            "strongswan_connection_established_timestamp_seconds",
            "Unix time at which the connection's newest established IKE_SA was established (absent while none is).",
            .gauge, ["conn"])
        for conn in connOrder {
            let aggregate = connections[conn] ?? ConnectionAggregate()
            ikeSAs.add(Double(aggregate.ikeSAs), [conn])
            if let ago = aggregate.newestEstablishedSecondsAgo { established.add(now - Double(ago), [conn]) }
        }

        var up = family(
            "strongswan_tunnel_up",
            "1 while at least one CHILD_SA of the configured tunnel is installed (an SA being replaced by a rekey counts), else 0.",
            .gauge, ["conn", "child"])
        var installed = family(
            "strongswan_tunnel_installed_timestamp_seconds",
            "Unix time at which the tunnel's newest CHILD_SA that is up was installed (absent while the tunnel is down).",
            .gauge, ["conn", "child"])
        var algorithms = family(
            "strongswan_tunnel_algorithms_info",
            "Algorithms negotiated by the tunnel's CHILD_SAs that are up and their IKE_SAs, as swanctl --list-sas writes them (ESP without the DH group, which changes at the first rekey with PFS) (always 1).",
            .gauge, ["conn", "child", "ike", "esp"])
        for key in tunnelOrder {
            guard let aggregate = tunnels[key], aggregate.configured else { continue }
            let labels = LabelValuePrefix(key.conn, key.child)
            up.add(aggregate.upSAs > 0 ? 1 : 0, labels)
            if let ago = aggregate.newestInstalledSecondsAgo { installed.add(now - Double(ago), labels) }
            for suite in aggregate.suites.sorted(by: { ($0.ike, $0.esp) < ($1.ike, $1.esp) }) {
                algorithms.add(1, labels, [suite.ike, suite.esp])
            }
        }
        for family in [ikeByState, childByState, ikeSAs, established, up, installed, algorithms] {
            metrics.addNonEmpty(family)
        }
    }

    /// Every known state in charon's order (0 when none), then unknown states that are present, sorted.
    private static func addStates(_ counts: [String: Int], known: [String], to family: inout MetricFamily?) {
        for state in known { family.add(Double(counts[state] ?? 0), [state]) }
        for (state, count) in counts.sorted(by: { $0.key < $1.key }) where !known.contains(state) {
            family.add(Double(count), [state])
        }
    }

    struct TunnelName: Hashable {
        var conn: String
        var child: String
    }

    struct AlgorithmPair: Hashable {
        var ike: String
        var esp: String
    }

    struct ConnectionAggregate {
        var ikeSAs = 0
        var newestEstablishedSecondsAgo: Int64?

        mutating func note<Entry: SAListEntry>(_ sa: Entry) {
            ikeSAs += 1
            if sa.state == "ESTABLISHED", let ago = sa.establishedSecondsAgo {
                newestEstablishedSecondsAgo = min(newestEstablishedSecondsAgo ?? ago, ago)
            }
        }
    }

    struct TunnelAggregate {
        /// Whether `strongswan_tunnel_*` series are rendered for it: a configured tunnel (or, without the
        /// `conns` model, every tunnel seen).
        var configured: Bool
        var upSAs = 0
        var newestInstalledSecondsAgo: Int64?
        var suites: Set<AlgorithmPair> = []

        mutating func note<Child: SAListChildEntry>(_ child: Child, ikeSuite: String) {
            guard SAStates.childUp.contains(child.state) else { return }
            upSAs += 1
            if let ago = child.installedSecondsAgo {
                newestInstalledSecondsAgo = min(newestInstalledSecondsAgo ?? ago, ago)
            }
            suites.insert(AlgorithmPair(ike: ikeSuite, esp: child.algorithmSuite))
        }
    }
}
