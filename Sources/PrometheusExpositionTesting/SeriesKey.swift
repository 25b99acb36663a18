import PrometheusExposition

/// The identity of a series: a sample name and a label set, normalized the way Prometheus sees it
/// (labels sorted by name, labels with an empty value removed) and compared byte for byte.
///
/// Useful to index parsed scrapes: see ``ParsedExposition/valuesBySeries()``.
public struct SeriesKey: Sendable, Hashable, CustomStringConvertible {
    /// The sample name, e.g. `strongswan_sa_bytes_total` or `x_bucket`.
    public let name: String
    /// The labels, sorted by name, without empty values.
    public let labels: [Label]

    /// Creates a key from labels in any order; empty-valued labels are dropped.
    public init(name: String, labels: [Label]) {
        self.name = name
        self.labels = labels.filter { !$0.value.isEmpty }.sorted { $0.name < $1.name }
    }

    /// Creates a key from a dictionary of labels; empty-valued labels are dropped.
    public init(name: String, _ labels: [String: String]) {
        self.init(name: name, labels: labels.map { Label($0.key, $0.value) })
    }

    /// Byte-wise equality of name, label names and label values.
    public static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        guard MetricFamily.bytesEqual(lhs.name, rhs.name), lhs.labels.count == rhs.labels.count else { return false }
        for (left, right) in zip(lhs.labels, rhs.labels) {
            guard MetricFamily.bytesEqual(left.name, right.name), MetricFamily.bytesEqual(left.value, right.value) else {
                return false
            }
        }
        return true
    }

    /// Hashes the UTF-8 bytes (consistent with ``==(_:_:)``).
    public func hash(into hasher: inout Hasher) {
        Self.combine(name, into: &hasher)
        for label in labels {
            Self.combine(label.name, into: &hasher)
            Self.combine(label.value, into: &hasher)
        }
    }

    private static func combine(_ text: String, into hasher: inout Hasher) {
        hasher.combine(text.utf8.count)
        for byte in text.utf8 { hasher.combine(byte) }
    }

    /// The series in exposition syntax, e.g. `x{a="1",b="2"}`.
    public var description: String {
        guard !labels.isEmpty else { return name }
        return name + "{" + labels.map(\.description).joined(separator: ",") + "}"
    }
}
