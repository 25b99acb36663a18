/// Why a ``MetricFamily`` could not be created.
///
/// Besides the hard rules of the text format (name syntax), a family must follow the conventions that
/// `promtool check metrics` enforces and that keep series from clashing, because the project runs
/// promtool on its output and never emits anything it would warn about structurally.
public enum MetricValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    case invalidMetricName(String)
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*` or starts with `__`.
    case invalidLabelName(String)
    /// The same label name was declared twice.
    case duplicateLabelName(String)
    /// `le` and `quantile` are reserved for histograms and summaries, which the encoder does not support.
    case reservedLabelName(String)
    /// The encoder model supports only counters, gauges and untyped metrics.
    case unsupportedType(MetricType)
    /// The help text is empty (`promtool` reports "no help text").
    case emptyHelp(metric: String)
    /// A counter's name must end in `_total`.
    case counterWithoutTotalSuffix(String)
    /// Only counters may have names ending in `_total`.
    case totalSuffixOnNonCounter(String)
    /// Names ending in `_bucket`, `_sum` or `_count` are reserved for histogram and summary samples.
    case reservedSuffix(String)

    /// A human-readable explanation.
    public var description: String {
        switch self {
        case .invalidMetricName(let name): "invalid metric name \(quoted(name))"
        case .invalidLabelName(let name): "invalid label name \(quoted(name))"
        case .duplicateLabelName(let name): "label name \(quoted(name)) declared twice"
        case .reservedLabelName(let name): "label name \(quoted(name)) is reserved for histograms and summaries"
        case .unsupportedType(let type): "metric type \(type) is not supported by the encoder model"
        case .emptyHelp(let metric): "metric \(quoted(metric)) has an empty help text"
        case .counterWithoutTotalSuffix(let name): "counter \(quoted(name)) must end in _total"
        case .totalSuffixOnNonCounter(let name): "only counters may end in _total: \(quoted(name))"
        case .reservedSuffix(let name): "suffix of \(quoted(name)) is reserved for histograms and summaries"
        }
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}
