/// Everything the collectors learned from charon, each part from the last poll in which its collector
/// succeeded (`nil` if it never did or is disabled).
public struct CharonState: Sendable {
    /// From `version`.
    public var version: DaemonVersion?
    /// From `stats`.
    public var stats: DaemonStats?
    /// From `list-sas` (updated by events between polls).
    public var sas: [IKESA]?
    /// What the exporter keeps of `sas` instead when per-SA families are off (updated by events between
    /// polls); `sas` is then `nil`.
    public var saSummaries: [SASummary]?
    /// From `list-conns`.
    public var conns: [ConnectionConfig]?
    /// From `get-counters`.
    public var counters: IKECounters?
    /// From `get-pools`.
    public var pools: [AddressPool]?
    /// From `list-certs`.
    public var certs: [LoadedCertificate]?

    /// Creates an empty state.
    public init() {}
}
