/// Opt-in detail that changes what a collector asks charon for (most collectors ignore it).
public struct CollectOptions: Sendable, Hashable {
    /// Whether per-connection counters are collected (`get-counters all=yes`; costs charon a walk over every
    /// connection's counters).
    public var perConnectionCounters: Bool

    /// Creates options; everything opt-in is off by default.
    public init(perConnectionCounters: Bool = false) {
        self.perConnectionCounters = perConnectionCounters
    }
}
