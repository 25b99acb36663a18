/// Alerts of charon's error-notify plugin that are not failures but are worth counting: IKE retransmissions
/// and narrowed traffic selectors. The raw value is the `notice` label value.
public enum IKENotice: String, Sendable, Hashable, CaseIterable {
    /// 20: an IKE request was retransmitted (the peer has not answered yet).
    case retransmitSent = "retransmit_sent"
    /// 21: the answer came after retransmissions.
    case retransmitCleared = "retransmit_cleared"
    /// 22: the peer retransmitted a request this gateway had already received.
    case retransmitReceived = "retransmit_received"
    /// 26: the traffic selectors were narrowed during negotiation.
    case tsNarrowed = "ts_narrowed"

    /// The position of this notice in ``allCases``.
    public var index: Int {
        Self.allCases.firstIndex(of: self) ?? 0
    }
}
