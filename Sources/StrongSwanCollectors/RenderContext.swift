/// What rendering needs besides the collected models: the poll's clock and the per-SA switch.
public struct RenderContext: Sendable {
    /// Unix time (seconds) at which the poll that produced the models completed; relative times that charon
    /// reports ("seconds ago", "seconds until") are turned into absolute timestamps with it.
    public var now: Double
    /// Whether per-IKE_SA and per-CHILD_SA families are rendered (off on very large gateways; the
    /// per-connection aggregates are rendered either way).
    public var perSA: Bool

    /// Creates a context.
    public init(now: Double, perSA: Bool = true) {
        self.now = now
        self.perSA = perSA
    }
}
