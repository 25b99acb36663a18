/// The leading label values shared by many samples, escaped once.
///
/// Per-SA families key every series of one SA by the same values (`conn`, `ike_id`, and for CHILD_SAs
/// `child`, `child_id`), followed by at most one value of their own (`state`, `direction`). Building those
/// keys as `[String]` and escaping them again for every sample cost an array allocation and a scan per
/// sample; a prefix is escaped once per SA and then copied as bytes by
/// the `add` methods of ``MetricFamily`` that take a prefix.
public struct LabelValuePrefix: Sendable {
    /// The values, escaped for the text format and concatenated.
    private(set) var escaped: [UInt8] = []
    /// The end offset of each value in ``escaped``.
    private(set) var ends: [UInt32] = []

    /// A prefix of these values, in order.
    public init(_ values: [String]) {
        for value in values { append(value) }
    }

    /// A prefix of two values (the common `conn`, `ike_id` key, without an intermediate array).
    public init(_ first: String, _ second: String) {
        append(first)
        append(second)
    }

    /// This prefix followed by two more values.
    public func appending(_ first: String, _ second: String) -> LabelValuePrefix {
        var copy = self
        copy.append(first)
        copy.append(second)
        return copy
    }

    /// The number of label values in the prefix.
    public var count: Int { ends.count }

    private mutating func append(_ value: String) {
        ExpositionEncoder.appendEscapedLabelValue(value, to: &escaped)
        ends.append(UInt32(truncatingIfNeeded: escaped.count))
    }
}
