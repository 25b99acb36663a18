/// A listen address the metrics HTTP server could not bind (or a socket it could not use).
public struct HTTPServerBindError: Error, CustomStringConvertible {
    /// The address.
    public var address: ListenAddress
    /// The underlying error.
    public var underlying: any Error

    /// Creates an error for `address`.
    public init(address: ListenAddress, underlying: any Error) {
        self.address = address
        self.underlying = underlying
    }

    /// A message naming the address and the cause.
    public var description: String { "cannot listen on \(self.address): \(self.underlying)" }
}
