import VICI

/// One IKE_SA as charon reports it in a `list-sa` event (or in `ike-updown`/`ike-rekey` events).
///
/// Relative times (`established`, `rekey-time`, `reauth-time`) are kept as charon sent them, in seconds;
/// renderers turn them into absolute timestamps with the poll's clock.
public struct IKESA: Sendable, Hashable {
    /// The IKE_SA configuration (connection) name: the key of the section charon sent.
    public var name: String
    /// charon's unique IKE_SA id (`uniqueid`), as sent.
    public var uniqueID: String
    /// IKE version, `1` or `2`.
    public var version: String = ""
    /// IKE_SA state name, e.g. `ESTABLISHED`.
    public var state: String = ""
    /// Local IKE endpoint address.
    public var localHost: String = ""
    /// Local IKE endpoint port.
    public var localPort: String = ""
    /// Local IKE identity.
    public var localID: String = ""
    /// Remote IKE endpoint address.
    public var remoteHost: String = ""
    /// Remote IKE endpoint port.
    public var remotePort: String = ""
    /// Remote IKE identity.
    public var remoteID: String = ""
    /// Remote EAP identity, if EAP-authenticated.
    public var remoteEAPID: String = ""
    /// Remote XAuth identity, if XAuth-authenticated.
    public var remoteXAuthID: String = ""
    /// Whether the local end initiated the IKE_SA.
    public var initiator: Bool = false
    /// Local endpoint is behind a NAT.
    public var natLocal: Bool = false
    /// Remote endpoint is behind a NAT.
    public var natRemote: Bool = false
    /// NAT situation faked as responder.
    public var natFake: Bool = false
    /// Any endpoint behind a NAT (also if faked).
    public var natAny: Bool = false
    /// IKE encryption algorithm.
    public var encrAlg: String = ""
    /// Key size of the encryption algorithm, if applicable.
    public var encrKeysize: String = ""
    /// IKE integrity algorithm.
    public var integAlg: String = ""
    /// Key size of the integrity algorithm, if applicable.
    public var integKeysize: String = ""
    /// IKE pseudo random function.
    public var prfAlg: String = ""
    /// IKE Diffie-Hellman group.
    public var dhGroup: String = ""
    /// Seconds since the IKE_SA was established, if it is.
    public var establishedSecondsAgo: Int64?
    /// Seconds until the IKE_SA gets rekeyed, if scheduled.
    public var rekeySecondsFromNow: Int64?
    /// Seconds until the IKE_SA gets re-authenticated, if scheduled.
    public var reauthSecondsFromNow: Int64?
    /// Virtual IPs assigned by the remote peer, installed locally.
    public var localVIPs: [String] = []
    /// Virtual IPs assigned to the remote peer.
    public var remoteVIPs: [String] = []
    /// The CHILD_SAs, in the order charon listed them.
    public var childSAs: [ChildSA] = []

    /// Creates an IKE_SA with the given name and id; everything else empty.
    public init(name: String, uniqueID: String) {
        self.name = name
        self.uniqueID = uniqueID
    }

    /// Maps the section charon sent for one IKE_SA (the value of its config-name key). Unknown keys are
    /// ignored; malformed known values leave the field at its default (a number that isn't one is treated
    /// as absent) rather than failing the whole SA.
    public init(name: String, section: VICIMessage) {
        self.init(name: name, uniqueID: "")
        for entry in section.entries {
            switch entry.element {
            case .value(let bytes):
                // Text only for the keys kept (the SPIs and if-ids are skipped without a String each).
                var text: String { String(decoding: bytes, as: UTF8.self) }
                // The name's length first: a String switch compares the name with every case in turn, and unequal
                // strings take the string comparison's slow path; with the length matched first, at most a case or
                // two is compared as a string (2.3 % of a whole poll at 1,000 SAs went to those comparisons).
                switch (entry.name.utf8.count, entry.name) {
                case (8, "uniqueid"): uniqueID = text
                case (7, "version"): version = text
                case (5, "state"): state = text
                case (10, "local-host"): localHost = text
                case (10, "local-port"): localPort = text
                case (8, "local-id"): localID = text
                case (11, "remote-host"): remoteHost = text
                case (11, "remote-port"): remotePort = text
                case (9, "remote-id"): remoteID = text
                case (13, "remote-eap-id"): remoteEAPID = text
                case (15, "remote-xauth-id"): remoteXAuthID = text
                case (9, "initiator"): initiator = bytes.elementsEqual("yes".utf8)
                case (9, "nat-local"): natLocal = bytes.elementsEqual("yes".utf8)
                case (10, "nat-remote"): natRemote = bytes.elementsEqual("yes".utf8)
                case (8, "nat-fake"): natFake = bytes.elementsEqual("yes".utf8)
                case (7, "nat-any"): natAny = bytes.elementsEqual("yes".utf8)
                case (8, "encr-alg"): encrAlg = text
                case (12, "encr-keysize"): encrKeysize = text
                case (9, "integ-alg"): integAlg = text
                case (13, "integ-keysize"): integKeysize = text
                case (7, "prf-alg"): prfAlg = text
                case (8, "dh-group"): dhGroup = text
                case (11, "established"): establishedSecondsAgo = VICIMessage.parseInt64(bytes)
                case (10, "rekey-time"): rekeySecondsFromNow = VICIMessage.parseInt64(bytes)
                case (11, "reauth-time"): reauthSecondsFromNow = VICIMessage.parseInt64(bytes)
                default: break
                }
            case .list(let items):
                switch (entry.name.utf8.count, entry.name) {
                case (10, "local-vips"): localVIPs = items.utf8Strings
                case (11, "remote-vips"): remoteVIPs = items.utf8Strings
                default: break
                }
            case .section(let children):
                if entry.name == "child-sas" {
                    childSAs.reserveCapacity(children.entries.count)
                    for child in children.entries {
                        if case .section(let childSection) = child.element {
                            childSAs.append(ChildSA(key: child.name, section: childSection))
                        }
                    }
                }
            }
        }
    }

    /// Maps a whole `list-sa` event (or an `ike-updown`/`child-updown` event) message: every top-level
    /// section is one IKE_SA keyed by its connection name.
    public static func all(in message: VICIMessage) -> [IKESA] {
        var result: [IKESA] = []
        for entry in message.entries {
            if case .section(let section) = entry.element {
                result.append(IKESA(name: entry.name, section: section))
            }
        }
        return result
    }
}
