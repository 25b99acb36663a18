import PrometheusExposition

/// Why ``ExpositionParser`` rejected an exposition: a ``Code`` to switch over, the 1-based line number
/// and a human-readable message naming the offending token.
public struct ExpositionParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The input does not end with a line feed (the last line must be terminated).
        case missingLineFeed
        /// A label value or help text is not valid UTF-8.
        case invalidUTF8
        /// A metric name (in a sample, HELP or TYPE line) is missing or does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
        case invalidMetricName
        /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*` or starts with `__`.
        case invalidLabelName
        /// The same label name appears twice in one sample.
        case duplicateLabelName
        /// A backslash is followed by something other than `\`, `"` or `n` (label values) or `\`, `n` (help).
        case invalidEscape
        /// The label set is not closed by `}` before the end of the line.
        case unterminatedLabelSet
        /// A label value is not closed by `"` before the end of the line.
        case unterminatedLabelValue
        /// A character where the grammar does not allow it (e.g. a missing `=` or `,`, or trailing text).
        case unexpectedCharacter
        /// A sample line has no value.
        case missingValue
        /// The value is not a float (`1`, `-2.5e3`, `+Inf`, `-Inf`, `NaN`, …).
        case invalidValue
        /// The timestamp is not a 64-bit integer.
        case invalidTimestamp
        /// A TYPE line names an unknown type or has none.
        case invalidType
        /// A second HELP line for the same metric name.
        case duplicateHelp
        /// A second TYPE line for the same metric name.
        case duplicateType
        /// A HELP or TYPE line after samples of its family.
        case metadataAfterSamples
        /// In strict mode (``ExpositionParser/requireMetadata``), a family without both HELP and TYPE lines.
        case missingMetadata
        /// A sample that does not fit the type of the family it appears in (e.g. `x_bucket` under a gauge `x`).
        case typeMismatch
        /// Lines of one metric family are not contiguous: the family appears again after another one.
        case familyNotContiguous
        /// A family name equals a sample name of another family (e.g. a gauge `x_count` and a histogram `x`).
        case nameClash
        /// The same series (sample name and label set, ignoring label order and empty values) appears twice.
        case duplicateSeries
        /// A histogram bucket without a valid `le` label or a summary quantile without a valid `quantile` label.
        case missingLabel
        /// A counter sample with a negative value.
        case negativeCounter
    }

    /// The kind of problem.
    public var code: Code
    /// The 1-based line number where the problem was found.
    public var line: Int
    /// What was wrong, naming the offending token.
    public var message: String

    /// Creates an error.
    public init(code: Code, line: Int, message: String) {
        self.code = code
        self.line = line
        self.message = message
    }

    /// `line N: message (code)`.
    public var description: String { "line \(line): \(message) (\(code.rawValue))" }
}
