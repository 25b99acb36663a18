/// One sample as read back from a ``MetricFamily`` or a result of the test-only `ExpositionParser`
/// (target PrometheusExpositionTesting): a sample name, its labels in order, a value and an optional
/// timestamp.
///
/// Equality compares names, labels (in order), timestamps and values, where two NaN values are equal
/// (so that parsed expositions can be compared with the model they were encoded from) and `0 == -0`.
public struct Sample: Sendable, Equatable, CustomStringConvertible {
    /// The sample name. For counters, gauges and untyped metrics it is the family name; histogram and
    /// summary samples may carry a `_bucket`, `_sum` or `_count` suffix.
    public var name: String
    /// The labels, in the order they were added or written.
    public var labels: [Label]
    /// The sample value.
    public var value: Double
    /// The timestamp in milliseconds since the Unix epoch, if one was written. The encoder never writes one.
    public var timestamp: Int64?

    /// Creates a sample.
    public init(name: String, labels: [Label] = [], value: Double, timestamp: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    /// The value of the label called `name`, or nil if the sample has no such label.
    public func label(_ name: String) -> String? {
        labels.first(where: { $0.name == name })?.value
    }

    /// Compares two samples; NaN values compare equal to each other.
    public static func == (lhs: Sample, rhs: Sample) -> Bool {
        lhs.name == rhs.name && lhs.labels == rhs.labels && lhs.timestamp == rhs.timestamp
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }

    /// The sample as an exposition line without the trailing newline, e.g. `up{job="a"} 1`.
    public var description: String {
        var bytes: [UInt8] = Array(name.utf8)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (index, label) in labels.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: label.name.utf8)
                bytes.append(contentsOf: #"=""#.utf8)
                ExpositionEncoder.appendEscapedLabelValue(label.value, to: &bytes)
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
        ExpositionEncoder.appendValue(value, to: &bytes)
        if let timestamp {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: String(timestamp).utf8)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
