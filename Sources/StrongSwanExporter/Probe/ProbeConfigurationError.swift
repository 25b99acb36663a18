/// Why the probe allow-list could not be built: a target URI that does not parse, or an unreadable targets file.
public struct ProbeConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the flag or the file and line.
    public var description: String

    /// Creates an error with a message.
    public init(_ description: String) {
        self.description = description
    }
}
