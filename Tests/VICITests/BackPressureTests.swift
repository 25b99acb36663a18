import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import VICI

/// Counts the read requests that reach the socket end of the pipeline.
private final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

@Suite("Stream back-pressure", .timeLimit(.minutes(1)))
struct BackPressureTests {
    func frame(_ packet: VICIPacket) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try packet.encode(into: &buffer)
        return buffer
    }

    /// When the consumer lags by the high watermark, the handler stops passing read requests to the socket;
    /// once the consumer's backlog falls below the low watermark, the held read is issued.
    @Test func slowConsumerStopsSocketReads() async throws {
        let channel = NIOAsyncTestingChannel()
        let handler = try await channel.testingEventLoop.executeInContext {
            let handler = VICIClientHandler(options: VICICodingOptions(), logger: Logger(label: "test"))
            try channel.pipeline.syncOperations.addHandler(ReadCounter())
            try channel.pipeline.syncOperations.addHandler(handler)
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }
        func reads() async throws -> Int {
            try await channel.testingEventLoop.executeInContext {
                try channel.pipeline.syncOperations.handler(type: ReadCounter.self).reads
            }
        }
        let id = VICIConnectionStateMachine.OperationID(1)
        let producer = VICICommandEvents.Producer.makeSequence(
            elementType: VICIMessage.self,
            backPressureStrategy: .init(lowWatermark: 1, highWatermark: 3),
            finishOnDeinit: false,
            delegate: VICICommandEvents.Delegate(handler: handler, id: id))
        let promise = channel.eventLoop.makePromise(of: VICIMessage.self)
        var register = ByteBuffer(), request = ByteBuffer(), unregister = ByteBuffer()
        try VICIPacket.eventRegister(name: "list-sa").encodeFrame(into: &register)
        try VICIPacket.commandRequest(name: "list-sas", message: VICIMessage()).encodeFrame(into: &request)
        try VICIPacket.eventUnregister(name: "list-sa").encodeFrame(into: &unregister)
        let source = producer.source
        let operation = VICIConnectionStateMachine.Operation.streamed(
            command: "list-sas", event: "list-sa", register: register, request: request, unregister: unregister)
        try await channel.testingEventLoop.executeInContext {
            handler.value.enqueue(operation, caller: .stream(events: source, promise: promise), id: id,
                                  timeout: .seconds(30))
        }
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == register)
        try await channel.writeInbound(try frame(.eventConfirm))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == request)

        try await channel.writeInbound(try frame(.event(name: "list-sa", message: listSA(1))))
        channel.read()
        #expect(try await reads() == 1)
        for i in 2...5 { try await channel.writeInbound(try frame(.event(name: "list-sa", message: listSA(i)))) }
        channel.read()
        #expect(try await reads() == 1, "the read must be held while 5 events wait (high watermark 3)")

        let iterator = producer.sequence.makeAsyncIterator()
        for i in 1...5 { #expect(try await iterator.next() == listSA(i)) }
        await channel.testingEventLoop.run()
        #expect(try await reads() == 2, "the held read is issued once the consumer caught up")

        try await channel.writeInbound(try frame(.commandResponse(VICIMessage())))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == unregister)
        try await channel.writeInbound(try frame(.eventConfirm))
        #expect(try await iterator.next() == nil)
        #expect(try await promise.futureResult.get() == VICIMessage())
        _ = try await channel.finish()
    }
}
