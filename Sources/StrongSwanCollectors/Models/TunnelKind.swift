/// What kind of tunnel a CHILD_SA configuration is, for alerting: only site-to-site tunnels are expected to
/// be up all the time.
public enum TunnelKind: String, Sendable, Hashable, CaseIterable {
    /// Initiates (or is expected up) towards a concrete peer address.
    case siteToSite = "site_to_site"
    /// A responder-only template (remote address `%any` or a range): up only while clients are connected.
    case responder
    /// A trap policy (`start_action = trap`, seen as an installed trap policy): negotiated only when traffic
    /// matches.
    case trap

    /// Classifies `child` of `connection`.
    public init(connection: ConnectionConfig, child: ChildConfig) {
        if child.trapInstalled || child.startAction.lowercased().contains("trap") {
            self = .trap
        } else if connection.isResponderOnly {
            self = .responder
        } else {
            self = .siteToSite
        }
    }
}
