/// A `--web.listen-address` value that could not be parsed.
public struct ListenAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The value as given.
    public var value: String
    /// What is wrong with it.
    public var reason: String

    /// Creates an error for `value`.
    public init(value: String, reason: String) {
        self.value = value
        self.reason = reason
    }

    /// A message naming the value and the reason.
    public var description: String { "invalid listen address \"\(value)\": \(reason)" }
}
