import NIOCore

/// Encodes outbound ``VICIPacket``s as complete transport frames (length prefix + packet).
///
/// Encoding errors (see ``VICIPacket/encode(into:options:)``) fail the write's promise; nothing is written.
public struct VICIPacketEncoder: MessageToByteEncoder {
    /// The packets to encode.
    public typealias OutboundIn = VICIPacket

    /// Limits applied while encoding.
    public let options: VICICodingOptions

    /// Creates an encoder with the given limits.
    public init(options: VICICodingOptions = VICICodingOptions()) {
        self.options = options
    }

    /// Appends `data` as one frame to `out`.
    public func encode(data: VICIPacket, out: inout ByteBuffer) throws {
        try data.encodeFrame(into: &out, options: options)
    }
}
