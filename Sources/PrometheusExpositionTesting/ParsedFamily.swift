import PrometheusExposition

/// One metric family as read by ``ExpositionParser``: its metadata and samples in input order.
public struct ParsedFamily: Sendable, Equatable {
    /// The family name from the HELP/TYPE lines (or, without them, the sample name).
    public var name: String
    /// The unescaped help text, or nil if the family had no HELP line.
    public var help: String?
    /// The declared type, or nil if the family had no TYPE line (only possible in lenient mode).
    public var type: MetricType?
    /// The samples, in input order.
    public var samples: [Sample]
    /// The 1-based line number of the family's first line.
    public var line: Int

    /// Creates a family.
    public init(name: String, help: String?, type: MetricType?, samples: [Sample], line: Int) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
        self.line = line
    }
}
