/// What collecting and rendering need besides a collector's own model: the poll's clock, the per-SA switch
/// and the other collectors' models.
public struct RenderContext: Sendable {
    /// Unix time (seconds) at which the poll that produced the models completed; relative times that charon
    /// reports ("seconds ago", "seconds until") are turned into absolute timestamps with it.
    public var now: Double
    /// Whether per-IKE_SA and per-CHILD_SA families are rendered (`--collector.sas.per-sa`; the
    /// per-connection and per-tunnel aggregates are rendered either way).
    public var perSA: Bool
    /// Whether per-connection counters are rendered (`--collector.counters.per-conn`).
    public var perConnectionCounters: Bool
    /// The state being rendered: the models of every enabled collector that has one (the SA collector reads
    /// the configured connections from it).
    public var state: CharonState

    /// Creates a context.
    public init(now: Double, perSA: Bool = true, perConnectionCounters: Bool = true, state: CharonState = CharonState()) {
        self.now = now
        self.perSA = perSA
        self.perConnectionCounters = perConnectionCounters
        self.state = state
    }
}
