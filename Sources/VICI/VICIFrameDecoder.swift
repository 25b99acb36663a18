import NIOCore

/// Splits a byte stream into VICI transport frames: a 32-bit big-endian length, then that many bytes.
///
/// Emits each frame's payload (without the length prefix) as a `ByteBuffer` slice. Partial frames wait for
/// more bytes; several frames in one read are all emitted. A length prefix above ``maxFrameLength`` fails
/// with ``VICIError/Code/frameTooLarge`` as soon as the four prefix bytes are seen, before anything is
/// buffered for it. Bytes of an incomplete frame left when the stream ends fail with
/// ``VICIError/Code/connectionClosed``. Frames of length zero are passed on (the packet layer rejects them
/// with ``VICIError/Code/emptyFrame``).
public struct VICIFrameDecoder: ByteToMessageDecoder {
    /// A frame payload.
    public typealias InboundOut = ByteBuffer

    /// The largest accepted frame, in bytes, not counting the length prefix.
    public let maxFrameLength: Int

    /// Creates a decoder accepting frames of up to `maxFrameLength` bytes (512 KiB by default).
    public init(maxFrameLength: Int = VICICodingOptions.defaultMaxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    /// Emits one frame if a complete one is buffered.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Emits the remaining complete frames; an incomplete frame at the end of the stream is an error.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let frame = try nextFrame(from: &buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        let leftover = buffer.readableBytes
        if leftover > 0 {
            buffer.moveReaderIndex(forwardBy: leftover)
            throw VICIError(.connectionClosed, "connection closed in the middle of a frame (\(leftover) bytes of an incomplete frame)")
        }
        return .needMoreData
    }

    /// Reads one complete frame payload from the front of `buffer` (outside a channel pipeline, e.g. from a
    /// captured byte stream); `nil` if `buffer` does not yet hold a complete frame (nothing is consumed then).
    /// Throws ``VICIError/Code/frameTooLarge`` for a length prefix above ``maxFrameLength``.
    public func nextFrame(from buffer: inout ByteBuffer) throws(VICIError) -> ByteBuffer? {
        guard let prefix = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard let length = Int(exactly: prefix), length <= maxFrameLength else {
            throw VICIError(.frameTooLarge, "frame of \(prefix) bytes exceeds the maximum of \(maxFrameLength) bytes",
                            offset: 0)
        }
        guard buffer.readableBytes - 4 >= length else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: length)
    }
}
