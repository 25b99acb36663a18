import VICI

/// One loaded connection (IKE_SA configuration) as charon reports it in a `list-conn` event.
public struct ConnectionConfig: Sendable, Hashable {
    /// The connection name.
    public var name: String
    /// Valid local IKE endpoint addresses.
    public var localAddrs: [String] = []
    /// Valid remote IKE endpoint addresses (`%any` for responder-only templates).
    public var remoteAddrs: [String] = []
    /// IKE version: `IKEv1`, `IKEv2` or `0` for any.
    public var version: String = ""
    /// IKE_SA rekeying interval in seconds, as sent.
    public var rekeyTime: String = ""
    /// IKE_SA reauthentication interval in seconds, as sent.
    public var reauthTime: String = ""
    /// Authentication classes of the local rounds (`local`, `local-1`…), in order.
    public var localAuth: [String] = []
    /// Authentication classes of the remote rounds (`remote`, `remote-1`…), in order.
    public var remoteAuth: [String] = []
    /// Identity of the first remote round, if configured.
    public var remoteID: String = ""
    /// The CHILD_SA configurations, in order.
    public var children: [ChildConfig] = []

    /// Creates an empty configuration with the given name.
    public init(name: String) { self.name = name }

    /// Maps the section charon sent for one connection.
    public init(name: String, section: VICIMessage) {
        self.init(name: name)
        for entry in section.entries {
            switch entry.element {
            case .value(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                switch entry.name {
                case "version": version = text
                case "rekey_time": rekeyTime = text
                case "reauth_time": reauthTime = text
                default: break
                }
            case .list(let items):
                switch entry.name {
                case "local_addrs": localAddrs = items.utf8Strings
                case "remote_addrs": remoteAddrs = items.utf8Strings
                default: break
                }
            case .section(let sub):
                if entry.name == "children" {
                    for child in sub.entries {
                        if case .section(let childSection) = child.element {
                            children.append(ChildConfig(name: child.name, section: childSection))
                        }
                    }
                } else if entry.name.hasPrefix("local") {
                    localAuth.append(sub.string("class") ?? "")
                } else if entry.name.hasPrefix("remote") {
                    remoteAuth.append(sub.string("class") ?? "")
                    if remoteID.isEmpty, let id = sub.string("id") { remoteID = id }
                }
            }
        }
    }

    /// Maps a whole `list-conn` event message: every top-level section is one connection.
    public static func all(in message: VICIMessage) -> [ConnectionConfig] {
        message.sections.map { ConnectionConfig(name: $0.name, section: $0.section) }
    }

    /// Whether this connection only ever responds: it has no concrete remote address to initiate to
    /// (`%any`, empty, or only ranges/subnets), like a road-warrior template.
    public var isResponderOnly: Bool {
        remoteAddrs.isEmpty || remoteAddrs.allSatisfy { addr in
            // Bytes, not `String.contains`: with Foundation imported in this module that resolves to NSString's
            // search (CoreFoundation, UTF-16), which ran for every tunnel at every rendering.
            addr == "%any" || addr == "%any4" || addr == "%any6"
                || addr.utf8.contains(UInt8(ascii: "/")) || addr.utf8.contains(UInt8(ascii: "-"))
        }
    }
}

/// One CHILD_SA configuration inside a loaded connection.
public struct ChildConfig: Sendable, Hashable {
    /// The CHILD_SA configuration name.
    public var name: String
    /// IPsec mode (`TUNNEL`, `TRANSPORT`, `BEET`, `PASS`, `DROP`).
    public var mode: String = ""
    /// What charon does when the config is loaded: `none`, `trap`, `start` (`start_action`, if sent).
    public var startAction: String = ""
    /// Action on DPD timeout (`dpd_action`, if sent).
    public var dpdAction: String = ""
    /// Action when the peer closes the CHILD_SA (`close_action`, if sent).
    public var closeAction: String = ""
    /// CHILD_SA rekeying interval in seconds, as sent.
    public var rekeyTime: String = ""
    /// Whether a trap policy of this config is installed (from `list-pols`; charon 5.9 does not send
    /// `start_action` in `list-conns`).
    public var trapInstalled: Bool = false
    /// Configured local traffic selectors (`dynamic` for the IKE address / virtual IP).
    public var localTS: [String] = []
    /// Configured remote traffic selectors.
    public var remoteTS: [String] = []

    /// Creates an empty child configuration with the given name.
    public init(name: String) { self.name = name }

    /// Maps the section charon sent for one CHILD_SA configuration.
    public init(name: String, section: VICIMessage) {
        self.init(name: name)
        for entry in section.entries {
            switch entry.element {
            case .value(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                switch entry.name {
                case "mode": mode = text
                case "start_action": startAction = text
                case "dpd_action": dpdAction = text
                case "close_action": closeAction = text
                case "rekey_time": rekeyTime = text
                default: break
                }
            case .list(let items):
                switch entry.name {
                case "local-ts": localTS = items.utf8Strings
                case "remote-ts": remoteTS = items.utf8Strings
                default: break
                }
            case .section:
                break
            }
        }
    }
}
