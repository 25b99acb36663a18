/// The type of a metric family, as written in its `# TYPE` line.
///
/// ``MetricFamily`` (the encoder's model) supports ``counter``, ``gauge`` and ``untyped``; ``histogram``
/// and ``summary`` exist so that the test-only `ExpositionParser` (target PrometheusExpositionTesting)
/// can read expositions produced by other libraries, whose samples carry the `_bucket`, `_sum` and
/// `_count` suffixes and the `le` / `quantile` labels.
public enum MetricType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A cumulative value that only goes up (or resets to zero). Names end in `_total` by convention.
    case counter
    /// A value that can go up and down.
    case gauge
    /// A value of unknown type.
    case untyped
    /// A histogram: `_bucket{le="…"}`, `_sum` and `_count` samples. Parser only.
    case histogram
    /// A summary: `{quantile="…"}`, `_sum` and `_count` samples. Parser only.
    case summary

    /// The keyword written in the `# TYPE` line, e.g. `counter`.
    public var description: String { rawValue }
}
