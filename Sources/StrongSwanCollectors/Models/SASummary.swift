/// What the exporter keeps of an IKE_SA when per-SA families are off: the connection, the states, the
/// `uniqueid`s events refer to, and what the per-connection and per-tunnel families read (establishment and
/// installation times, algorithm suites). About a tenth of the full ``IKESA`` model, which matters on concentrators
/// with tens of thousands of road warriors (the list is kept between polls so events can patch it).
public struct SASummary: SAListEntry, Hashable {
    /// The connection's name.
    public var name: String
    /// charon's `uniqueid` of the IKE_SA.
    public var uniqueID: String
    /// The IKE_SA's state, as charon names it.
    public var state: String
    /// Summaries of its CHILD_SAs.
    public var childSAs: [ChildSASummary]
    /// Seconds since the IKE_SA was established, if it is.
    public var establishedSecondsAgo: Int64?
    /// Its algorithms (``IKESA/algorithmSuite``).
    public var algorithmSuite: String

    /// Creates a summary.
    public init(name: String, uniqueID: String, state: String, childSAs: [ChildSASummary] = [],
                establishedSecondsAgo: Int64? = nil, algorithmSuite: String = "") {
        self.name = name
        self.uniqueID = uniqueID
        self.state = state
        self.childSAs = childSAs
        self.establishedSecondsAgo = establishedSecondsAgo
        self.algorithmSuite = algorithmSuite
    }

    /// Summarizes one model (its CHILD_SAs included).
    public init(_ ike: IKESA) {
        self.init(name: ike.name, uniqueID: ike.uniqueID, state: ike.state, childSAs: ike.childSAs.map(ChildSASummary.init),
                  establishedSecondsAgo: ike.establishedSecondsAgo, algorithmSuite: ike.algorithmSuite)
    }

    /// Summarizes a poll's models. Names and algorithm suites longer than Swift stores inline are shared
    /// between the summaries that carry them (one allocation per distinct string, not per SA).
    public static func summarizing(_ sas: [IKESA]) -> [SASummary] {
        var names: [String: String] = [:]
        func shared(_ name: String) -> String {
            if name.utf8.count <= 15 { return name }
            if let known = names[name] { return known }
            names[name] = name
            return name
        }
        // Neighbouring SAs nearly always negotiated the same algorithms: their suite is formatted (and looked
        // up) only when the algorithm fields differ from the previous SA's.
        var ikeSuite = SuiteMemo()
        var childSuite = SuiteMemo()
        var result: [SASummary] = []
        result.reserveCapacity(sas.count)
        for ike in sas {
            var children: [ChildSASummary] = []
            children.reserveCapacity(ike.childSAs.count)
            for child in ike.childSAs {
                let suite = childSuite.suite((child.encrAlg, child.encrKeysize, child.integAlg, child.integKeysize, "", "")) {
                    shared(child.algorithmSuite)
                }
                children.append(ChildSASummary(
                    name: shared(child.name), uniqueID: child.uniqueID, state: child.state,
                    installedSecondsAgo: child.installedSecondsAgo, algorithmSuite: suite))
            }
            let suite = ikeSuite.suite((ike.encrAlg, ike.encrKeysize, ike.integAlg, ike.integKeysize, ike.prfAlg, ike.dhGroup)) {
                shared(ike.algorithmSuite)
            }
            result.append(SASummary(
                name: shared(ike.name), uniqueID: ike.uniqueID, state: ike.state, childSAs: children,
                establishedSecondsAgo: ike.establishedSecondsAgo, algorithmSuite: suite))
        }
        return result
    }

    /// The suite formatted for the last algorithm fields seen.
    struct SuiteMemo {
        typealias Fields = (String, String, String, String, String, String)
        var fields: Fields?
        var suite = ""

        mutating func suite(_ current: Fields, _ format: () -> String) -> String {
            if let fields, fields == current { return suite }
            fields = current
            suite = format()
            return suite
        }
    }

    /// Endpoints are not kept in a summary.
    public mutating func updateEndpoints(localHost: String, localPort: String, remoteHost: String, remotePort: String) {}
}
