import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import VICI

@Suite("Framing")
struct FrameDecoderTests {
    /// Frames drip-fed byte by byte, in pairs and all at once (the verifier tries them all).
    @Test func verifierAcceptsSingleAndMultipleFrames() throws {
        let confirm: [UInt8] = [0, 0, 0, 1, 5]
        let response: [UInt8] = [0, 0, 0, 6, 1, 3, 1, 0x61, 0, 0]
        let empty: [UInt8] = [0, 0, 0, 0]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (buffer(confirm), [buffer([5])]),
                (buffer(response), [buffer([1, 3, 1, 0x61, 0, 0])]),
                (buffer(confirm + response + empty), [buffer([5]), buffer([1, 3, 1, 0x61, 0, 0]), buffer([])]),
            ],
            decoderFactory: { VICIFrameDecoder() }
        )
    }

    @Test func acceptsAFrameOfExactlyTheMaximum() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VICIFrameDecoder(maxFrameLength: 8)))
        try channel.writeInbound(buffer([0, 0, 0, 8] + [UInt8](repeating: 7, count: 8)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == buffer([UInt8](repeating: 7, count: 8)))
        _ = try channel.finish()
    }

    @Test func rejectsAnOversizedLengthPrefixBeforeTheBodyArrives() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VICIFrameDecoder()))
        // 512 KiB + 1 announced; only the prefix is sent.
        expectVICIError(.frameTooLarge, offset: .at(0)) {
            try channel.writeInbound(buffer([0x00, 0x08, 0x00, 0x01]))
        }
        _ = try? channel.finish()
    }

    @Test func rejectsTheLargestPossiblePrefix() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VICIFrameDecoder()))
        expectVICIError(.frameTooLarge) { try channel.writeInbound(buffer([0xFF, 0xFF, 0xFF, 0xFF])) }
        _ = try? channel.finish()
    }

    @Test func truncatedFrameAtEndOfStreamIsConnectionClosed() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VICIFrameDecoder()))
        try channel.writeInbound(buffer([0, 0, 0, 1, 5, 0, 0, 0, 9, 1, 2]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == buffer([5]))
        expectVICIError(.connectionClosed) { _ = try channel.finish() }
    }

    @Test func packetEncoderWritesFrames() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(VICIPacketEncoder()))
        try channel.writeOutbound(VICIPacket.eventRegister(name: "log"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == buffer([0, 0, 0, 5, 3, 3] + utf8("log")))
        _ = try channel.finish()
    }
}
