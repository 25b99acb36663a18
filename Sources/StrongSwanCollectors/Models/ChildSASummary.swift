/// What the exporter keeps of a CHILD_SA when per-SA families are off (see ``SASummary``).
public struct ChildSASummary: SAListChildEntry, Hashable {
    /// The CHILD_SA config's name.
    public var name: String
    /// charon's `uniqueid` of the CHILD_SA.
    public var uniqueID: String
    /// The CHILD_SA's state, as charon names it.
    public var state: String

    /// Creates a summary.
    public init(name: String, uniqueID: String, state: String) {
        self.name = name
        self.uniqueID = uniqueID
        self.state = state
    }

    /// Summarizes one model.
    public init(_ child: ChildSA) {
        self.init(name: child.name, uniqueID: child.uniqueID, state: child.state)
    }
}
