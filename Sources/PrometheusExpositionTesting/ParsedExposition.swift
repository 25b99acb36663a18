import PrometheusExposition

/// The result of ``ExpositionParser/parse(_:)-(String)``: the families in input order, with lookups.
public struct ParsedExposition: Sendable {
    /// The families, in input order.
    public let families: [ParsedFamily]
    private let familyIndexByName: [String: Int]
    private let familyIndexBySampleName: [String: Int]

    init(families: [ParsedFamily], familyIndexByName: [String: Int], familyIndexBySampleName: [String: Int]) {
        self.families = families
        self.familyIndexByName = familyIndexByName
        self.familyIndexBySampleName = familyIndexBySampleName
    }

    /// The total number of samples.
    public var sampleCount: Int {
        families.reduce(0) { $0 + $1.samples.count }
    }

    /// The family with this name (the name in its HELP/TYPE lines), if any.
    public func family(named name: String) -> ParsedFamily? {
        familyIndexByName[name].map { families[$0] }
    }

    /// All samples with this sample name (e.g. `x_bucket`), in input order.
    public func samples(named name: String) -> [Sample] {
        guard let index = familyIndexBySampleName[name] else { return [] }
        return families[index].samples.filter { $0.name == name }
    }

    /// The value of the series with this sample name and exactly this label set (order irrelevant,
    /// empty values equivalent to absent labels), or nil. Scans the family: for bulk comparisons use
    /// ``valuesBySeries()``.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        guard let index = familyIndexBySampleName[name] else { return nil }
        let key = SeriesKey(name: name, labels)
        return families[index].samples.first { $0.name == name && SeriesKey(name: name, labels: $0.labels) == key }?.value
    }

    /// Every series and its value (series are unique: the parser rejects duplicates).
    public func valuesBySeries() -> [SeriesKey: Double] {
        var result: [SeriesKey: Double] = [:]
        result.reserveCapacity(sampleCount)
        for family in families {
            for sample in family.samples {
                result[SeriesKey(name: sample.name, labels: sample.labels)] = sample.value
            }
        }
        return result
    }
}
