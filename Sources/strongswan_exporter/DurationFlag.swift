import ArgumentParser
import StrongSwanExporter

/// Reads the value of a duration flag (`--poll.interval 15s`), with one error message for every such flag.
enum DurationFlag {
    /// The duration `value` of `flag` denotes; throws a ``ValidationError`` naming the flag otherwise.
    static func parse(_ value: String, flag: String) throws -> Duration {
        guard let duration = DurationParser.parse(value) else {
            throw ValidationError("\(flag): '\(value)' is not \(DurationParser.expected)")
        }
        return duration
    }
}
