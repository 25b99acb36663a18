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
    /// Seconds since the CHILD_SA was installed (relative to the poll that listed it), if it is.
    var installedSecondsAgo: Int64? { get }
    /// The CHILD_SA's encryption and integrity algorithms (see ``ChildSA/algorithmSuite``).
    var algorithmSuite: String { get }
}

extension ChildSA: SAListChildEntry {
    /// The full model is its own entry.
    public init(_ child: ChildSA) { self = child }
}
