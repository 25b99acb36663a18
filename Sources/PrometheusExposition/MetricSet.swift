/// An ordered collection of metric families with unique names: the unit the exporter renders per poll.
///
/// ``add(_:)`` rejects a family whose name is already taken. A counter `x_total` also claims the
/// name `x` (its OpenMetrics family name), so a gauge `x` and a counter `x_total` cannot coexist
/// either (conservatively, neither can counters `x_total` and `x_total_total`). Together with
/// ``MetricFamily/add(_:_:)``, which refuses duplicate label values, this guarantees that an
/// encoded set never contains the same series twice.
///
/// Everything refused is counted: ``droppedSampleCount`` is the number of samples that were produced
/// but will not be exposed (duplicates inside accepted families plus all samples of rejected
/// families), and ``rejectedFamilyNames`` lists the rejected families, so the exporter can report both.
public struct MetricSet: Sendable {
    /// The accepted families, in the order they were added (the encoding order).
    public private(set) var families: [MetricFamily] = []
    /// Names of families refused because their name clashed with an accepted family, in order.
    public private(set) var rejectedFamilyNames: [String] = []
    /// Samples produced but not exposed: duplicates dropped by accepted families plus all samples
    /// (and their dropped duplicates) of rejected families.
    public private(set) var droppedSampleCount: Int = 0
    private var claimedNames: Set<String> = []

    /// Creates an empty set.
    public init() {}

    /// Adds `family` unless its name (or, for a counter `x_total`, also `x`) is already claimed.
    ///
    /// - Returns: true if the family was added; false if it was rejected (and counted).
    @discardableResult
    public mutating func add(_ family: MetricFamily) -> Bool {
        var claims = [family.name]
        if family.type == .counter { claims.append(String(family.name.dropLast("_total".count))) }
        if claims.contains(where: claimedNames.contains) {
            rejectedFamilyNames.append(family.name)
            droppedSampleCount += family.sampleCount + family.droppedDuplicates
            return false
        }
        claimedNames.formUnion(claims)
        droppedSampleCount += family.droppedDuplicates
        families.append(family)
        return true
    }

    /// Whether a family with this exact name has been accepted.
    public func contains(familyNamed name: String) -> Bool {
        families.contains { $0.name == name }
    }

    /// The total number of samples in the accepted families.
    public var sampleCount: Int {
        families.reduce(0) { $0 + $1.sampleCount }
    }

    /// Appends the text-format encoding of all accepted families to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        ExpositionEncoder.encode(families, into: &buffer)
    }

    /// An upper bound of the length of ``encode(into:)-(UnsafeMutableRawBufferPointer)``'s output.
    public var maximumEncodedByteCount: Int {
        ExpositionEncoder.maximumEncodedByteCount(families)
    }

    /// Writes the text-format encoding of all accepted families to the start of `output` (at least
    /// ``maximumEncodedByteCount`` bytes) and returns the number of bytes written.
    public func encode(into output: UnsafeMutableRawBufferPointer) -> Int {
        ExpositionEncoder.encode(families, into: output)
    }

    /// The text-format encoding of all accepted families.
    public func encoded() -> [UInt8] {
        ExpositionEncoder.encoded(families)
    }
}
