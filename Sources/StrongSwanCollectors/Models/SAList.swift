import VICI

/// The IKE_SAs charon listed (`list-sas`), as the exporter keeps them between polls and patches them with
/// events: the full models when per-SA families are rendered, else a compact summary of each.
public enum SAList: Sendable {
    /// Every IKE_SA with its CHILD_SAs, in full.
    case full([IKESA])
    /// Names, states and `uniqueid`s only (per-SA families off).
    case summarized([SASummary])

    /// The full models, when kept.
    public var full: [IKESA]? {
        if case .full(let sas) = self { return sas }
        return nil
    }

    /// The number of IKE_SAs.
    public var count: Int {
        switch self {
        case .full(let sas): return sas.count
        case .summarized(let summaries): return summaries.count
        }
    }

    /// The same list with each IKE_SA summarized (a summarized list is returned as it is).
    public func summarized() -> SAList {
        switch self {
        case .full(let sas): return .summarized(SASummary.summarizing(sas))
        case .summarized: return self
        }
    }

    /// Applies one VICI event (see ``TunnelLedger/patch(_:event:message:)``) to whichever form is kept.
    public mutating func patch(event name: String, message: VICIMessage) {
        // Taken out of `self` while patched, so that the list is not copied.
        switch consume self {
        case .full(var sas):
            TunnelLedger.patch(&sas, event: name, message: message)
            self = .full(sas)
        case .summarized(var summaries):
            TunnelLedger.patch(&summaries, event: name, message: message)
            self = .summarized(summaries)
        }
    }

    /// How many configured tunnels of `ledger` have an up CHILD_SA in this list, and how many are configured.
    public func tunnelCounts(in ledger: TunnelLedger) -> (up: Int, configured: Int) {
        switch self {
        case .full(let sas): return ledger.tunnelCounts(sas: sas)
        case .summarized(let summaries): return ledger.tunnelCounts(sas: summaries)
        }
    }
}
