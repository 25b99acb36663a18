/// An entry of `list-certs` whose data is not what its specification says, naming the field that is wrong.
public struct CertificateDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong, and where.
    public let description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
