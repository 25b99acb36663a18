/// A CHILD_SA under an ``SAListEntry``: the full ``ChildSA`` model or the compact ``ChildSASummary``.
public protocol SAListChildEntry: Sendable {
    /// Builds the entry from a full model.
    init(_ child: ChildSA)

    /// The CHILD_SA config's name.
    var name: String { get }
    /// charon's `uniqueid` of the CHILD_SA.
    var uniqueID: String { get }
    /// The CHILD_SA's state, as charon names it.
    var state: String { get }
}

extension ChildSA: SAListChildEntry {
    /// The full model is its own entry.
    public init(_ child: ChildSA) { self = child }
}
