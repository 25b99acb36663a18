/// A metric family under construction: name, help, type, the label names every sample carries, and
/// the samples themselves in insertion order.
///
/// ## Label names are declared once
/// A family declares its label names when it is created (validated once, in ``init(name:help:type:labelNames:)``),
/// and each sample supplies only the label values, in the same order. This makes invalid label names
/// impossible per sample and lets the family store samples compactly (one flat array of values, one
/// of doubles), which matters with hundreds of thousands of series.
///
/// ## No duplicate series
/// ``add(_:_:)`` refuses a sample whose label values (compared byte for byte, since Prometheus compares
/// bytes) equal those of a sample already in the family: the first one is kept, the refused one is
/// counted in ``droppedDuplicates``. The check costs one hash of the label values and a probe of an
/// open-addressing table per sample. Across families, ``MetricSet`` rejects name clashes.
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
    /// The help text, unescaped (the encoder escapes `\` and newline).
    public let help: String
    /// The metric type: ``MetricType/counter``, ``MetricType/gauge`` or ``MetricType/untyped``.
    public let type: MetricType
    /// The label names, in the order they are written for every sample.
    public let labelNames: [String]
    /// How many samples ``add(_:_:)`` refused because their label values were already present.
    public private(set) var droppedDuplicates: Int = 0

    /// Label values of all samples, flattened: sample `i` uses `labelValueStorage[i * labelNames.count ..< (i + 1) * labelNames.count]`.
    private(set) var labelValueStorage: [String] = []
    /// Sample values, in insertion order.
    private(set) var values: [Double] = []
    /// Total UTF-8 bytes of all label values, for the encoder's capacity estimate.
    private(set) var labelValueBytes: Int = 0
    /// Hash of each sample's label values (same index as `values`).
    private var sampleHashes: [Int] = []
    /// Open-addressing table of sample indices (-1 = empty); its count is a power of two, at least twice the sample count.
    private var slots: [Int32] = []

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
    static func isValidName(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, isNameStart(first) else { return false }
        for byte in bytes.dropFirst() where !isNameContinuation(byte) { return false }
        return true
    }

    @inline(__always)
    static func isNameStart(_ byte: UInt8) -> Bool {
        Label.isNameStart(byte) || byte == UInt8(ascii: ":")
    }

    @inline(__always)
    static func isNameContinuation(_ byte: UInt8) -> Bool {
        Label.isNameContinuation(byte) || byte == UInt8(ascii: ":")
    }

    /// The number of samples in the family.
    public var sampleCount: Int { values.count }

    /// Whether the family has no samples (the encoder writes nothing for it).
    public var isEmpty: Bool { values.isEmpty }

    /// Reserves storage for `count` samples in total, avoiding reallocations while adding.
    public mutating func reserveCapacity(_ count: Int) {
        values.reserveCapacity(count)
        sampleHashes.reserveCapacity(count)
        labelValueStorage.reserveCapacity(count * labelNames.count)
        if count * 2 > slots.count { rehash(capacity: Self.tableCapacity(for: count)) }
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
        precondition(
            labelValues.count == labelNames.count,
            "metric \(name) declares \(labelNames.count) label names but a sample has \(labelValues.count) values"
        )
        if (values.count + 1) * 2 > slots.count {
            rehash(capacity: Self.tableCapacity(for: values.count + 1))
        }
        let hash = Self.hash(labelValues)
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { break }
            if sampleHashes[index] == hash && storedLabelValues(index, equal: labelValues) {
                droppedDuplicates += 1
                return false
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(truncatingIfNeeded: values.count)
        sampleHashes.append(hash)
        values.append(value)
        labelValueStorage.append(contentsOf: labelValues)
        for labelValue in labelValues { labelValueBytes &+= labelValue.utf8.count }
        return true
    }

    /// Whether a sample with exactly these label values (byte for byte) is present.
    public func contains(_ labelValues: [String]) -> Bool {
        index(of: labelValues) != nil
    }

    /// The value of the sample with these label values, or nil if there is none.
    public func value(for labelValues: [String]) -> Double? {
        index(of: labelValues).map { values[$0] }
    }

    /// The samples in insertion order, materialized with their label names (for inspection and tests;
    /// the encoder reads the compact storage directly).
    public var samples: [Sample] {
        (0..<values.count).map { index in
            let base = index * labelNames.count
            return Sample(
                name: name,
                labels: labelNames.indices.map { Label(labelNames[$0], labelValueStorage[base + $0]) },
                value: values[index]
            )
        }
    }

    /// A generous estimate of the encoded size, used to reserve buffer capacity.
    var estimatedEncodedByteCount: Int {
        guard !values.isEmpty else { return 0 }
        let header = 2 * name.utf8.count + help.utf8.count + 24
        var perSample = name.utf8.count + 2 + 26  // braces, space, value, newline
        for labelName in labelNames { perSample += labelName.utf8.count + 4 }
        return header + values.count * perSample + labelValueBytes + labelValueBytes / 8
    }

    private func index(of labelValues: [String]) -> Int? {
        guard labelValues.count == labelNames.count, !slots.isEmpty else { return nil }
        let hash = Self.hash(labelValues)
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            if sampleHashes[index] == hash && storedLabelValues(index, equal: labelValues) { return index }
            slot = (slot + 1) & mask
        }
    }

    private func storedLabelValues(_ index: Int, equal labelValues: [String]) -> Bool {
        let base = index * labelNames.count
        for offset in 0..<labelValues.count where !Self.bytesEqual(labelValueStorage[base + offset], labelValues[offset]) {
            return false
        }
        return true
    }

    private static func tableCapacity(for count: Int) -> Int {
        var capacity = 8
        while capacity < count * 2 { capacity <<= 1 }
        return capacity
    }

    private mutating func rehash(capacity: Int) {
        var table = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (index, hash) in sampleHashes.enumerated() {
            var slot = hash & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(truncatingIfNeeded: index)
        }
        slots = table
    }

    /// Hashes the UTF-8 bytes of the values (not their Unicode-normalized form, which `String`'s own
    /// hashing uses), each followed by its length so that `["ab", "c"]` and `["a", "bc"]` differ.
    private static func hash(_ labelValues: [String]) -> Int {
        var hasher = Hasher()
        for labelValue in labelValues {
            let utf8 = labelValue.utf8
            if utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
                for byte in utf8 { hasher.combine(byte) }
            }
            hasher.combine(utf8.count)
        }
        return hasher.finalize()
    }

    /// Byte-wise string equality (Swift's `==` treats canonically equivalent strings as equal).
    static func bytesEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8, right = rhs.utf8
        guard left.count == right.count else { return false }
        let fast = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in leftBytes.elementsEqual(rightBytes) }
        }
        return (fast ?? nil) ?? left.elementsEqual(right)
    }
}
