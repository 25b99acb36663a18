/// What the exporter keeps of a CHILD_SA when per-SA families are off (see ``SASummary``).
public struct ChildSASummary: SAListChildEntry, Hashable {
    /// The CHILD_SA config's name.
    public var name: String
    /// charon's `uniqueid` of the CHILD_SA.
    public var uniqueID: String
    /// The CHILD_SA's state, as charon names it.
    public var state: String
    /// Seconds since the CHILD_SA was installed, if it is.
    public var installedSecondsAgo: Int64?
    /// Its algorithms (``ChildSA/algorithmSuite``).
    public var algorithmSuite: String

    /// Creates a summary.
    public init(name: String, uniqueID: String, state: String, installedSecondsAgo: Int64? = nil,
                algorithmSuite: String = "") {
        self.name = name
        self.uniqueID = uniqueID
        self.state = state
        self.installedSecondsAgo = installedSecondsAgo
        self.algorithmSuite = algorithmSuite
    }

    /// Summarizes one model.
    public init(_ child: ChildSA) {
        self.init(name: child.name, uniqueID: child.uniqueID, state: child.state,
                  installedSecondsAgo: child.installedSecondsAgo, algorithmSuite: child.algorithmSuite)
    }
}
