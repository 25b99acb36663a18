import VICI

/// The IKE_SAs charon listed (`list-sas`), as the exporter keeps them between polls and patches them with
/// events: the full models when per-SA families are rendered, else a compact summary of each.
///
/// One of ``full`` and ``summaries`` is set. They are optionals rather than enum payloads so that a patch
/// can move the list out (`Optional.take()`), change it and put it back without copying it.
public struct SAList: Sendable {
    /// Every IKE_SA with its CHILD_SAs, in full (per-SA families on).
    public private(set) var full: [IKESA]?
    /// Names, states and `uniqueid`s only (per-SA families off).
    public private(set) var summaries: [SASummary]?

    /// A list of full models.
    public static func full(_ sas: [IKESA]) -> SAList { SAList(full: sas, summaries: nil) }

    /// A list of summaries.
    public static func summarized(_ summaries: [SASummary]) -> SAList { SAList(full: nil, summaries: summaries) }

    /// The number of IKE_SAs.
    public var count: Int { full?.count ?? summaries?.count ?? 0 }

    /// The same list with each IKE_SA summarized (a summarized list is returned as it is).
    public func summarized() -> SAList {
        guard let full else { return self }
        return .summarized(SASummary.summarizing(full))
    }

    /// Applies one VICI event (see ``TunnelLedger/patch(_:event:message:)``) to whichever form is kept, in
    /// place.
    public mutating func patch(event name: String, message: VICIMessage) {
        if var sas = full.take() {
            TunnelLedger.patch(&sas, event: name, message: message)
            full = sas
        }
        if var kept = summaries.take() {
            TunnelLedger.patch(&kept, event: name, message: message)
            summaries = kept
        }
    }

    /// How many configured tunnels of `ledger` have an up CHILD_SA in this list, and how many are configured.
    public func tunnelCounts(in ledger: TunnelLedger) -> (up: Int, configured: Int) {
        if let full { return ledger.tunnelCounts(sas: full) }
        return ledger.tunnelCounts(sas: summaries ?? [])
    }
}
