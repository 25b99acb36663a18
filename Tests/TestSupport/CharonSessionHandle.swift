import NIOCore
import VICI

/// A client connection of a ``ScriptedCharon`` for a test's own task (``ScriptedCharon/nextSession()``):
/// sends and closes from outside the event loop.
public struct CharonSessionHandle: Sendable {
    /// The server side of the connection.
    public let channel: any Channel

    /// Sends `packets` as frames, in one write.
    public func send(_ packets: [VICIPacket]) {
        var buffer = channel.allocator.buffer(capacity: 256)
        for packet in packets {
            try? packet.encodeFrame(into: &buffer, options: VICICodingOptions(maxFrameLength: .max))
        }
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Sends these bytes as they are.
    public func sendRaw(_ bytes: [UInt8]) {
        channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}
