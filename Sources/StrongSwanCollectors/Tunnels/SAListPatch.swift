/// Applies tunnel events to a polled IKE_SA list, so that everything rendered from the list
/// (`strongswan_tunnel_up`, SA state counts, per-SA series) reflects the event before the next poll.
///
/// IKE_SAs are found by their `uniqueid` (several may share a connection name), CHILD_SAs by theirs
/// (unique across all IKE_SAs of a charon run). Applying an event twice gives the same list as applying
/// it once.
enum SAListPatch {
    static func apply<Entry: SAListEntry>(_ event: TunnelEvent, to sas: inout [Entry]) {
        switch event {
        case .ikeUp(let ike):
            guard !ike.uniqueID.isEmpty else { return }
            if let index = sas.firstIndex(where: { $0.uniqueID == ike.uniqueID }) {
                replaceKeepingChildren(&sas[index], with: ike)
            } else {
                sas.append(Entry(ike))
            }
        case .ikeDown(let ike):
            guard !ike.uniqueID.isEmpty else { return }
            sas.removeAll { $0.uniqueID == ike.uniqueID }
        case .childUp(let ike, let child):
            guard !child.uniqueID.isEmpty else { return }
            removeChild(child.uniqueID, from: &sas)
            insert(child, under: ike, into: &sas)
        case .childDown(_, let child):
            guard !child.uniqueID.isEmpty else { return }
            removeChild(child.uniqueID, from: &sas)
        case .childRekey(let ike, let old, let new):
            // The old SA is on its way out (charon deletes it within seconds): drop it, so that the list
            // looks like charon's after the overlap; the new one carries the tunnel.
            if !old.uniqueID.isEmpty { removeChild(old.uniqueID, from: &sas) }
            if !new.uniqueID.isEmpty {
                removeChild(new.uniqueID, from: &sas)
                insert(new, under: ike, into: &sas)
            }
        case .ikeRekey(let old, let new):
            guard !new.uniqueID.isEmpty else { return }
            let oldIndex = old.uniqueID.isEmpty ? nil : sas.firstIndex { $0.uniqueID == old.uniqueID }
            let newIndex = sas.firstIndex { $0.uniqueID == new.uniqueID }
            switch (oldIndex, newIndex) {
            case (let oldIndex?, let newIndex?) where oldIndex != newIndex:
                // A poll already listed the new IKE_SA: it inherits the old one's CHILD_SAs.
                var merged = sas[newIndex]
                replaceKeepingChildren(&merged, with: new)
                for child in sas[oldIndex].childSAs where !merged.childSAs.contains(where: { $0.uniqueID == child.uniqueID }) {
                    merged.childSAs.append(child)
                }
                sas[oldIndex] = merged
                sas.remove(at: newIndex)
            case (let oldIndex?, _):
                replaceKeepingChildren(&sas[oldIndex], with: new)
            case (nil, let newIndex?):
                replaceKeepingChildren(&sas[newIndex], with: new)
            case (nil, nil):
                sas.append(Entry(new))
            }
        case .ikeUpdate(let ike, let endpoints):
            guard !ike.uniqueID.isEmpty, let index = sas.firstIndex(where: { $0.uniqueID == ike.uniqueID }) else { return }
            sas[index].updateEndpoints(localHost: endpoints.localHost, localPort: endpoints.localPort,
                                       remoteHost: endpoints.remoteHost, remotePort: endpoints.remotePort)
        }
    }

    /// Replaces an IKE_SA's own fields by fresher ones from an event, keeping its CHILD_SAs.
    private static func replaceKeepingChildren<Entry: SAListEntry>(_ target: inout Entry, with fresh: IKESA) {
        let children = target.childSAs
        var fresh = fresh
        fresh.childSAs = []
        target = Entry(fresh)
        target.childSAs = children
    }

    private static func removeChild<Entry: SAListEntry>(_ uniqueID: String, from sas: inout [Entry]) {
        for index in sas.indices where sas[index].childSAs.contains(where: { $0.uniqueID == uniqueID }) {
            sas[index].childSAs.removeAll { $0.uniqueID == uniqueID }
        }
    }

    private static func insert<Entry: SAListEntry>(_ child: ChildSA, under ike: IKESA, into sas: inout [Entry]) {
        if !ike.uniqueID.isEmpty, let index = sas.firstIndex(where: { $0.uniqueID == ike.uniqueID }) {
            replaceKeepingChildren(&sas[index], with: ike)
            sas[index].childSAs.append(Entry.Child(child))
        } else {
            var added = ike
            added.childSAs = [child]
            sas.append(Entry(added))
        }
    }
}
