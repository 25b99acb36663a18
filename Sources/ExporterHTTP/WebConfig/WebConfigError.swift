/// Why a web config file (`--web.config.file`) was refused; the message names the key or file at fault.
public struct WebConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A message for the operator, naming the file, key or value that is wrong.
    public var message: String

    /// Creates an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { self.message }
}
