import PrometheusExposition
import VICI

/// A change worth one log line (tunnel up/down, rekey).
public struct TunnelChange: Sendable, Hashable {
    /// A human-readable summary, e.g. `tunnel down`.
    public var summary: String
    /// Structured fields: conn, child, remote host and id…
    public var metadata: [String: String]

    /// Creates a change record.
    public init(summary: String, metadata: [String: String]) {
        self.summary = summary
        self.metadata = metadata
    }
}

/// Event-driven tunnel history: transitions, rekeys and traffic per tunnel that survives rekeys.
/// (Minimal version; the full ledger lands with the tunnel issue.)
public struct TunnelLedger: Sendable {
    /// The VICI events the exporter follows.
    public static let eventNames = ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "ike-update"]

    private var configured: [(conn: String, child: String)] = []

    /// Creates an empty ledger.
    public init() {}

    /// Records the configured tunnels from `list-conns`.
    public mutating func configure(_ conns: [ConnectionConfig]) {
        configured = conns.flatMap { conn in conn.children.map { (conn.name, $0.name) } }
    }

    /// Records a complete poll of `list-sas`.
    public mutating func observe(poll sas: [IKESA], at now: Double) {}

    /// Records that charon went away.
    public mutating func daemonLost(at now: Double) {}

    /// Applies one event; returns the changes worth logging.
    public mutating func apply(event name: String, message: VICIMessage, at now: Double) -> [TunnelChange] { [] }

    /// Applies one event to a polled SA list so that the next rendering reflects it without a poll.
    public static func patch(_ sas: inout [IKESA], event name: String, message: VICIMessage) {}

    /// Renders the event-driven families.
    public func render(into metrics: inout MetricSet) {}

    /// How many configured tunnels are up, and how many are configured.
    public func tunnelCounts(sas: [IKESA]) -> (up: Int, configured: Int) {
        var up = Set<String>()
        for sa in sas { for child in sa.childSAs where SAStates.childUp.contains(child.state) { up.insert(sa.name + "\u{0}" + child.name) } }
        let count = configured.filter { up.contains($0.conn + "\u{0}" + $0.child) }.count
        return (count, configured.count)
    }
}
