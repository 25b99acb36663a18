import VICI

/// One of charon's tunnel events, parsed from its VICI message (charon 5.9 layouts).
///
/// - `ike-updown`: optional `up=yes`, then `<conn> { IKE keys }`.
/// - `child-updown`: optional `up=yes`, then `<conn> { IKE keys; child-sas { <child>-<id> { … } } }`.
/// - `child-rekey`: `<conn> { IKE keys; child-sas { <child> { old { … } new { … } } } }` (plain name).
/// - `ike-rekey`: `<conn> { old { IKE keys } new { IKE keys } }`.
/// - `ike-update`: top-level new `local-host`/`local-port`/`remote-host`/`remote-port`, then
///   `<conn> { IKE keys with the old addresses }`.
///
/// Parsing never fails: sections that lack what an event needs (an IKE_SA or CHILD_SA without `uniqueid`,
/// a rekey without `old` or `new`) are skipped.
enum TunnelEvent: Sendable, Hashable {
    case ikeUp(IKESA)
    case ikeDown(IKESA)
    case childUp(IKESA, ChildSA)
    case childDown(IKESA, ChildSA)
    case childRekey(IKESA, old: ChildSA, new: ChildSA)
    case ikeRekey(old: IKESA, new: IKESA)
    case ikeUpdate(IKESA, Endpoints)

    /// The new IKE endpoints an `ike-update` event announces (empty when not sent).
    struct Endpoints: Sendable, Hashable {
        var localHost = ""
        var localPort = ""
        var remoteHost = ""
        var remotePort = ""
    }

    /// The events in `message` (usually one; several if charon ever sent several sections).
    static func parse(name: String, message: VICIMessage) -> [TunnelEvent] {
        switch name {
        case "ike-updown":
            let up = message.string("up") == "yes"
            return message.sections.compactMap { entry in
                let ike = ikeWithoutChildren(name: entry.name, section: entry.section)
                guard !ike.uniqueID.isEmpty else { return nil }
                return up ? .ikeUp(ike) : .ikeDown(ike)
            }
        case "child-updown":
            let up = message.string("up") == "yes"
            var events: [TunnelEvent] = []
            for entry in message.sections {
                let full = IKESA(name: entry.name, section: entry.section)
                guard !full.uniqueID.isEmpty else { continue }
                var ike = full
                ike.childSAs = []
                for child in full.childSAs where !child.uniqueID.isEmpty {
                    events.append(up ? .childUp(ike, child) : .childDown(ike, child))
                }
            }
            return events
        case "child-rekey":
            var events: [TunnelEvent] = []
            for entry in message.sections {
                let ike = ikeWithoutChildren(name: entry.name, section: entry.section)
                guard !ike.uniqueID.isEmpty else { continue }
                for pair in entry.section.section("child-sas")?.sections ?? [] {
                    guard let oldSection = pair.section.section("old"), let newSection = pair.section.section("new") else { continue }
                    let old = ChildSA(key: pair.name, section: oldSection), new = ChildSA(key: pair.name, section: newSection)
                    guard !old.uniqueID.isEmpty, !new.uniqueID.isEmpty else { continue }
                    events.append(.childRekey(ike, old: old, new: new))
                }
            }
            return events
        case "ike-rekey":
            return message.sections.compactMap { entry in
                guard let oldSection = entry.section.section("old"), let newSection = entry.section.section("new") else { return nil }
                let old = ikeWithoutChildren(name: entry.name, section: oldSection)
                let new = ikeWithoutChildren(name: entry.name, section: newSection)
                guard !old.uniqueID.isEmpty, !new.uniqueID.isEmpty else { return nil }
                return .ikeRekey(old: old, new: new)
            }
        case "ike-update":
            let endpoints = Endpoints(
                localHost: message.string("local-host") ?? "", localPort: message.string("local-port") ?? "",
                remoteHost: message.string("remote-host") ?? "", remotePort: message.string("remote-port") ?? "")
            return message.sections.compactMap { entry in
                let ike = ikeWithoutChildren(name: entry.name, section: entry.section)
                return ike.uniqueID.isEmpty ? nil : .ikeUpdate(ike, endpoints)
            }
        default:
            return []
        }
    }

    private static func ikeWithoutChildren(name: String, section: VICIMessage) -> IKESA {
        var ike = IKESA(name: name, section: section)
        ike.childSAs = []
        return ike
    }
}
