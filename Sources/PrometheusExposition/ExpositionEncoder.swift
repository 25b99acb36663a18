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
/// The encoder appends bytes directly to a `[UInt8]` after reserving capacity for the whole family;
/// it builds no `String` per sample except for non-integral values.
public enum ExpositionEncoder {
    /// The HTTP `Content-Type` of the text format, version 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Appends the encoding of `families`, in order, to `buffer`.
    ///
    /// Families are written as given: uniqueness of family names is the caller's responsibility here;
    /// use ``MetricSet`` to have it enforced.
    public static func encode(_ families: [MetricFamily], into buffer: inout [UInt8]) {
        var total = 0
        for family in families { total += family.estimatedEncodedByteCount }
        buffer.reserveCapacity(buffer.count + total)
        for family in families { encode(family, into: &buffer) }
    }

    /// The encoding of `families`, in order, as a new byte array.
    public static func encoded(_ families: [MetricFamily]) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(families, into: &buffer)
        return buffer
    }

    /// Appends the encoding of one family to `buffer` (nothing if it has no samples).
    public static func encode(_ family: MetricFamily, into buffer: inout [UInt8]) {
        guard !family.isEmpty else { return }
        buffer.reserveCapacity(buffer.count + family.estimatedEncodedByteCount)
        let name = Array(family.name.utf8)

        buffer.append(contentsOf: "# HELP ".utf8)
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: " "))
        appendEscapedHelp(family.help, to: &buffer)
        buffer.append(contentsOf: "\n# TYPE ".utf8)
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: family.type.rawValue.utf8)
        buffer.append(UInt8(ascii: "\n"))

        let values = family.values
        let labelCount = family.labelNames.count
        if labelCount == 0 {
            var prefix = name
            prefix.append(UInt8(ascii: " "))
            for value in values {
                buffer.append(contentsOf: prefix)
                appendValue(value, to: &buffer)
                buffer.append(UInt8(ascii: "\n"))
            }
            return
        }

        // `name{first="`, then `",label="` for each further label, then `"} `.
        var first = name
        first.append(UInt8(ascii: "{"))
        first.append(contentsOf: family.labelNames[0].utf8)
        first.append(contentsOf: #"=""#.utf8)
        let further: [[UInt8]] = family.labelNames.dropFirst().map { Array(#"",\#($0)=""#.utf8) }
        let close = Array(#""} "#.utf8)
        let storage = family.labelValueStorage
        var position = 0
        for value in values {
            buffer.append(contentsOf: first)
            appendEscapedLabelValue(storage[position], to: &buffer)
            for prefix in further {
                position += 1
                buffer.append(contentsOf: prefix)
                appendEscapedLabelValue(storage[position], to: &buffer)
            }
            position += 1
            buffer.append(contentsOf: close)
            appendValue(value, to: &buffer)
            buffer.append(UInt8(ascii: "\n"))
        }
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

    @inline(__always)
    static func appendValue(_ value: Double, to buffer: inout [UInt8]) {
        // NaN fails the comparison and falls through.
        if value.magnitude <= 9_007_199_254_740_992 {
            let integer = Int64(value)
            if Double(integer) == value {
                appendInteger(integer, to: &buffer)
                return
            }
        }
        appendNonIntegral(value, to: &buffer)
    }

    private static func appendNonIntegral(_ value: Double, to buffer: inout [UInt8]) {
        if value.isNaN {
            buffer.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            buffer.append(contentsOf: (value < 0 ? "-Inf" : "+Inf").utf8)
        } else {
            let text = value.description
            let utf8 = text.utf8
            // Defensive: never write a redundant ".0" (Swift writes it for integral values in plain notation).
            if utf8.count > 2 && text.hasSuffix(".0") {
                buffer.append(contentsOf: utf8.dropLast(2))
            } else {
                buffer.append(contentsOf: utf8)
            }
        }
    }

    @inline(__always)
    static func appendInteger(_ integer: Int64, to buffer: inout [UInt8]) {
        if integer >= 0 && integer < 10 {
            buffer.append(UInt8(truncatingIfNeeded: integer) &+ UInt8(ascii: "0"))
            return
        }
        if integer < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = integer.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude != 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
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
