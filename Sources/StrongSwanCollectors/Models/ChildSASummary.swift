/// What the exporter keeps of a CHILD_SA when per-SA families are off (see ``SASummary``).
public struct ChildSASummary: SAListChildEntry, Hashable {
    public var name: String
    public var uniqueID: String
    public var state: String

    /// Creates a summary.
    public init(name: String, uniqueID: String, state: String) {
        self.name = name
        self.uniqueID = uniqueID
        self.state = state
    }

    public init(_ child: ChildSA) {
        self.init(name: child.name, uniqueID: child.uniqueID, state: child.state)
    }
}
