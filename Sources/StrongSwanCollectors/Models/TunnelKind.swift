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
        if child.trapInstalled || Self.namesTrap(child.startAction) {
            self = .trap
        } else if connection.isResponderOnly {
            self = .responder
        } else {
            self = .siteToSite
        }
    }

    /// Whether a `start_action` mentions `trap` in any case (`trap`, `trap|start`). Compared as bytes: with
    /// Foundation imported in this module, `String.contains` resolves to NSString's search (CoreFoundation,
    /// UTF-16), which ran for every tunnel at every rendering.
    static func namesTrap(_ action: String) -> Bool {
        var lowered = action.lowercased()
        return lowered.withUTF8 { bytes in
            let needle: (UInt8, UInt8, UInt8, UInt8) = (UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "a"), UInt8(ascii: "p"))
            guard bytes.count >= 4 else { return false }
            for start in 0...(bytes.count - 4)
            where bytes[start] == needle.0 && bytes[start + 1] == needle.1 && bytes[start + 2] == needle.2
                && bytes[start + 3] == needle.3 {
                return true
            }
            return false
        }
    }
}
