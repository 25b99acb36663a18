/// An element of the list of IKE_SAs the exporter keeps between polls and patches with VICI events.
///
/// Two kinds exist: the full ``IKESA`` model (kept when per-SA families are rendered) and the compact
/// ``SASummary`` (kept when they are off: only what the per-connection state families and the tunnel
/// counts read). ``SAListPatch`` and the renderers of those families work on either.
public protocol SAListEntry: Sendable {
    /// The CHILD_SA kind kept under this entry.
    associatedtype Child: SAListChildEntry

    /// Builds the entry from a full model (its CHILD_SAs included).
    init(_ ike: IKESA)

    /// The connection's name.
    var name: String { get }
    /// charon's `uniqueid` of the IKE_SA.
    var uniqueID: String { get }
    /// The IKE_SA's state, as charon names it.
    var state: String { get }
    /// The CHILD_SAs of the IKE_SA.
    var childSAs: [Child] { get set }
    /// Seconds since the IKE_SA was established (relative to the poll that listed it), if it is.
    var establishedSecondsAgo: Int64? { get }
    /// The IKE_SA's algorithms as `swanctl --list-sas` prints them (see ``IKESA/algorithmSuite``).
    var algorithmSuite: String { get }

    /// Applies an `ike-update` event's new endpoints (empty strings: unchanged).
    mutating func updateEndpoints(localHost: String, localPort: String, remoteHost: String, remotePort: String)
}

extension IKESA: SAListEntry {
    /// The full model is its own entry.
    public init(_ ike: IKESA) { self = ike }

    public mutating func updateEndpoints(localHost: String, localPort: String, remoteHost: String, remotePort: String) {
        if !localHost.isEmpty { self.localHost = localHost }
        if !localPort.isEmpty { self.localPort = localPort }
        if !remoteHost.isEmpty { self.remoteHost = remoteHost }
        if !remotePort.isEmpty { self.remotePort = remotePort }
    }
}
