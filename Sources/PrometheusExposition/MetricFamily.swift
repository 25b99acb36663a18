/// A metric family under construction: name, help, type, the label names every sample carries, and
/// the samples themselves in insertion order.
///
/// ## Label names are declared once
/// A family declares its label names when it is created (validated once, in ``init(name:help:type:labelNames:)``),
/// and each sample supplies only the label values, in the same order. This makes invalid label names
/// impossible per sample and lets the family store samples compactly, which matters with hundreds of
/// thousands of series: the label values are escaped once, when added, into one byte array (with an
/// array of end offsets), so that encoding is mostly copying bytes.
///
/// ## No duplicate series
/// ``add(_:_:)`` refuses a sample whose label values (compared byte for byte, since Prometheus compares
/// bytes) equal those of a sample already in the family: the first one is kept, the refused one is
/// counted in ``droppedDuplicates``. The check costs one (randomly seeded) hash of the label values
/// and a probe of an open-addressing table per sample. Across families, ``MetricSet`` rejects name clashes.
///
/// ## Naming rules
/// Besides the syntax of the text format, the initializer enforces the structural rules that
/// `promtool check metrics` checks, so that the exporter's output always passes it: counters (and only
/// counters) end in `_total`, the help text is not empty, names do not end in the histogram/summary
/// suffixes `_bucket`, `_sum`, `_count`, and the labels `le` and `quantile` are not used. Style rules
/// (snake_case, base units) are left to review and to promtool.
public struct MetricFamily: Sendable {
    /// The metric name, e.g. `strongswan_sa_bytes_total`.
    public let name: String
    /// The help text, unescaped (the encoder escapes `\` and newline). Prometheus skips blanks at
    /// the start of a help text when reading, so do not start one with a blank.
    public let help: String
    /// The metric type: ``MetricType/counter``, ``MetricType/gauge`` or ``MetricType/untyped``.
    public let type: MetricType
    /// The label names, in the order they are written for every sample.
    public let labelNames: [String]
    /// How many samples ``add(_:_:)`` refused because their label values were already present.
    public private(set) var droppedDuplicates: Int = 0

    /// The label values of all samples, already escaped for the text format and concatenated: the
    /// encoder copies them as they are, and duplicate checks compare these bytes (escaping is a
    /// bijection, so equal escaped bytes mean equal values).
    private(set) var escapedLabelValues: [UInt8] = []
    /// End offset in `escapedLabelValues` of every label value: value `j` of sample `i` ends at
    /// `labelValueEnds[i * labelNames.count + j]` and starts where the previous value ends (or at 0).
    private(set) var labelValueEnds: [UInt32] = []
    /// Sample values, in insertion order.
    private(set) var values: [Double] = []
    /// Index of the samples by their label values, to refuse duplicates.
    private var index = SeriesIndex()

    /// Creates an empty family, validating the name, help, type and label names.
    ///
    /// - Throws: ``MetricValidationError`` if the name or a label name is invalid, a label name is
    ///   repeated or reserved (`le`, `quantile`), the type is a histogram or summary, the help is empty,
    ///   or the `_total` / reserved-suffix rules are broken.
    public init(name: String, help: String, type: MetricType, labelNames: [String] = []) throws(MetricValidationError) {
        guard Self.isValidName(name) else { throw .invalidMetricName(name) }
        switch type {
        case .counter:
            guard name.hasSuffix("_total") else { throw .counterWithoutTotalSuffix(name) }
        case .gauge, .untyped:
            guard !name.hasSuffix("_total") else { throw .totalSuffixOnNonCounter(name) }
        case .histogram, .summary:
            throw .unsupportedType(type)
        }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            throw .reservedSuffix(name)
        }
        guard !help.isEmpty else { throw .emptyHelp(metric: name) }
        for (index, labelName) in labelNames.enumerated() {
            guard Label.isValidName(labelName) else { throw .invalidLabelName(labelName) }
            guard labelName != "le" && labelName != "quantile" else { throw .reservedLabelName(labelName) }
            guard !labelNames[..<index].contains(labelName) else { throw .duplicateLabelName(labelName) }
        }
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
    }

    /// Whether `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidName(_ name: String) -> Bool {
        if let result = name.utf8.withContiguousStorageIfAvailable({ isValidName(bytes: $0) }) {
            return result
        }
        return Array(name.utf8).withUnsafeBufferPointer { isValidName(bytes: $0) }
    }

    /// Byte-level check shared with the parser.
    package static func isValidName(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, isNameStart(first) else { return false }
        for byte in bytes.dropFirst() where !isNameContinuation(byte) { return false }
        return true
    }

    @inline(__always)
    package static func isNameStart(_ byte: UInt8) -> Bool {
        Label.isNameStart(byte) || byte == UInt8(ascii: ":")
    }

    @inline(__always)
    package static func isNameContinuation(_ byte: UInt8) -> Bool {
        Label.isNameContinuation(byte) || byte == UInt8(ascii: ":")
    }

    /// The number of samples in the family.
    public var sampleCount: Int { values.count }

    /// Whether the family has no samples (the encoder writes nothing for it).
    public var isEmpty: Bool { values.isEmpty }

    /// Reserves storage for `count` samples in total, avoiding reallocations while adding.
    public mutating func reserveCapacity(_ count: Int) {
        values.reserveCapacity(count)
        labelValueEnds.reserveCapacity(count * labelNames.count)
        index.reserveCapacity(count)
    }

    /// Adds a sample unless one with the same label values is already present.
    ///
    /// - Parameters:
    ///   - value: the sample value (any Double, including NaN and infinities).
    ///   - labelValues: one value per entry of ``labelNames``, in the same order; any UTF-8 string.
    ///     Passing a different number of values is a programming error and traps.
    /// - Returns: true if the sample was added; false if it duplicated an existing series (the first
    ///   sample is kept and ``droppedDuplicates`` is incremented).
    @discardableResult
    public mutating func add(_ value: Double, _ labelValues: [String] = []) -> Bool {
        checkLabelValueCount(labelValues.count)
        // Append the escaped values tentatively; a duplicate is rolled back.
        let byteStart = escapedLabelValues.count
        let endStart = labelValueEnds.count
        for labelValue in labelValues { appendLabelValue(labelValue) }
        return commit(value, byteStart: byteStart, endStart: endStart)
    }

    /// Adds a sample whose label values are `prefix` followed by `rest`, unless one with the same label
    /// values is already present (as the `[String]` variant does). The prefix's bytes are copied, not escaped again.
    @discardableResult
    public mutating func add(_ value: Double, _ prefix: LabelValuePrefix, _ rest: [String] = []) -> Bool {
        checkLabelValueCount(prefix.count + rest.count)
        let byteStart = escapedLabelValues.count
        let endStart = labelValueEnds.count
        appendPrefix(prefix)
        for labelValue in rest { appendLabelValue(labelValue) }
        return commit(value, byteStart: byteStart, endStart: endStart)
    }

    /// Adds a sample whose label values are `prefix` followed by `last` (no array for the one extra value).
    @discardableResult
    public mutating func add(_ value: Double, _ prefix: LabelValuePrefix, _ last: String) -> Bool {
        checkLabelValueCount(prefix.count + 1)
        let byteStart = escapedLabelValues.count
        let endStart = labelValueEnds.count
        appendPrefix(prefix)
        appendLabelValue(last)
        return commit(value, byteStart: byteStart, endStart: endStart)
    }

    /// Traps unless a sample supplies one value per label name (a programming error, not a data error).
    @inline(__always)
    private func checkLabelValueCount(_ count: Int) {
        precondition(
            count == labelNames.count,
            "metric \(name) declares \(labelNames.count) label names but a sample has \(count) values")
    }

    /// Appends one label value, escaped, and its end offset.
    @inline(__always)
    private mutating func appendLabelValue(_ labelValue: String) {
        ExpositionEncoder.appendEscapedLabelValue(labelValue, to: &escapedLabelValues)
        precondition(escapedLabelValues.count <= UInt32.max, "label values of \(name) exceed 4 GiB")
        labelValueEnds.append(UInt32(truncatingIfNeeded: escapedLabelValues.count))
    }

    /// Appends an escaped prefix and its end offsets, rebased.
    @inline(__always)
    private mutating func appendPrefix(_ prefix: LabelValuePrefix) {
        let base = escapedLabelValues.count
        escapedLabelValues.append(contentsOf: prefix.escaped)
        precondition(escapedLabelValues.count <= UInt32.max, "label values of \(name) exceed 4 GiB")
        let rebase = UInt32(truncatingIfNeeded: base)
        for end in prefix.ends { labelValueEnds.append(rebase &+ end) }
    }

    /// Keeps the tentatively appended label values `escapedLabelValues[byteStart...]` as a new sample with
    /// `value`, or rolls them back if a sample with the same values exists.
    @inline(__always)
    private mutating func commit(_ value: Double, byteStart: Int, endStart: Int) -> Bool {
        let existing = escapedLabelValues.withUnsafeBufferPointer { arena in
            labelValueEnds.withUnsafeBufferPointer { ends in
                let hash = Self.hash(arena: arena, ends: ends, byteStart: byteStart, endStart: endStart)
                return index.findOrInsert(hash: hash) { sample in
                    Self.sample(sample, equals: (byteStart, endStart), arena: arena, ends: ends, labelCount: labelNames.count)
                }
            }
        }
        if existing != nil {
            escapedLabelValues.removeSubrange(byteStart...)
            labelValueEnds.removeSubrange(endStart...)
            droppedDuplicates += 1
            return false
        }
        values.append(value)
        return true
    }

    /// Whether a sample with exactly these label values (byte for byte) is present.
    public func contains(_ labelValues: [String]) -> Bool {
        sampleIndex(of: labelValues) != nil
    }

    /// The value of the sample with these label values, or nil if there is none.
    public func value(for labelValues: [String]) -> Double? {
        sampleIndex(of: labelValues).map { values[$0] }
    }

    /// The samples in insertion order, materialized with their label names (for inspection and tests;
    /// the encoder reads the compact storage directly).
    public var samples: [Sample] {
        escapedLabelValues.withUnsafeBufferPointer { arena in
            var result: [Sample] = []
            result.reserveCapacity(values.count)
            var start = 0
            var endIndex = 0
            for value in values {
                var labels: [Label] = []
                labels.reserveCapacity(labelNames.count)
                for labelName in labelNames {
                    let end = Int(labelValueEnds[endIndex])
                    labels.append(Label(labelName, Self.unescape(UnsafeBufferPointer(rebasing: arena[start..<end]))))
                    start = end
                    endIndex += 1
                }
                result.append(Sample(name: name, labels: labels, value: value))
            }
            return result
        }
    }

    /// An upper bound of the encoded size, so that the encoder can write without bounds checks.
    var maximumEncodedByteCount: Int {
        guard !values.isEmpty else { return 0 }
        let header = 2 * name.utf8.count + 2 * help.utf8.count + 32
        var perSample = name.utf8.count + 3 + ExpositionEncoder.maximumValueLength + 1  // braces, space, value, newline
        for labelName in labelNames { perSample += labelName.utf8.count + 4 }  // `,name=""`
        return header + values.count * perSample + escapedLabelValues.count
    }

    /// The index of the sample with these label values, if present.
    private func sampleIndex(of labelValues: [String]) -> Int? {
        guard labelValues.count == labelNames.count, !values.isEmpty else { return nil }
        var candidate: [UInt8] = []
        var candidateEnds: [UInt32] = []
        for labelValue in labelValues {
            ExpositionEncoder.appendEscapedLabelValue(labelValue, to: &candidate)
            candidateEnds.append(UInt32(truncatingIfNeeded: candidate.count))
        }
        // Look the candidate up as if it were appended after the stored samples.
        let arena = escapedLabelValues + candidate
        let base = UInt32(truncatingIfNeeded: escapedLabelValues.count)
        let ends = labelValueEnds + candidateEnds.map { $0 + base }
        let byteStart = escapedLabelValues.count, endStart = labelValueEnds.count
        return arena.withUnsafeBufferPointer { arena in
            ends.withUnsafeBufferPointer { ends in
                let hash = Self.hash(arena: arena, ends: ends, byteStart: byteStart, endStart: endStart)
                return index.find(hash: hash) { sample in
                    Self.sample(sample, equals: (byteStart, endStart), arena: arena, ends: ends, labelCount: labelNames.count)
                }
            }
        }
    }

    /// Hashes the candidate sample's escaped values `arena[byteStart...]` and their lengths.
    @inline(__always)
    private static func hash(
        arena: UnsafeBufferPointer<UInt8>, ends: UnsafeBufferPointer<UInt32>, byteStart: Int, endStart: Int
    ) -> Int {
        // Swift's randomly seeded SipHash: label values can come from remote peers (IKE identities),
        // so collisions must not be craftable.
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(arena)[byteStart...]))
        for offset in endStart..<ends.count { hasher.combine(ends[offset] &- UInt32(truncatingIfNeeded: byteStart)) }
        return hasher.finalize()
    }

    /// Whether stored sample `sample` has the same escaped values as the candidate starting at `candidate`.
    @inline(__always)
    private static func sample(
        _ sample: Int, equals candidate: (byteStart: Int, endStart: Int),
        arena: UnsafeBufferPointer<UInt8>, ends: UnsafeBufferPointer<UInt32>, labelCount: Int
    ) -> Bool {
        let storedEndStart = sample * labelCount
        let storedStart = storedEndStart == 0 ? 0 : Int(ends[storedEndStart - 1])
        for offset in 0..<labelCount
        where Int(ends[storedEndStart + offset]) - storedStart != Int(ends[candidate.endStart + offset]) - candidate.byteStart {
            return false
        }
        let storedEnd = labelCount == 0 ? storedStart : Int(ends[storedEndStart + labelCount - 1])
        return UnsafeBufferPointer(rebasing: arena[storedStart..<storedEnd])
            .elementsEqual(UnsafeBufferPointer(rebasing: arena[candidate.byteStart...]))
    }

    /// Undoes the label value escaping (`\\`, `\"`, `\n`).
    static func unescape(_ escaped: UnsafeBufferPointer<UInt8>) -> String {
        guard escaped.contains(UInt8(ascii: "\\")) else { return String(decoding: escaped, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(escaped.count)
        var index = 0
        while index < escaped.count {
            var byte = escaped[index]
            if byte == UInt8(ascii: "\\"), index + 1 < escaped.count {
                index += 1
                byte = escaped[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : escaped[index]
            }
            bytes.append(byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Byte-wise string equality (Swift's `==` treats canonically equivalent strings as equal).
    package static func bytesEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8, right = rhs.utf8
        guard left.count == right.count else { return false }
        let fast = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in leftBytes.elementsEqual(rightBytes) }
        }
        return (fast ?? nil) ?? left.elementsEqual(right)
    }
}
