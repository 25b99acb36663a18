import BenchmarkSupport
import NIOCore
import VICI

/// One client connection of the fake charon: answers commands in order, confirms event registrations and
/// streams a command's events only if the client registered for them (as charon does).
final class FakeCharonHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let charon: SyntheticCharon
    private let counter: CommandCounter
    private var registered = Set<String>()

    init(charon: SyntheticCharon, counter: CommandCounter) {
        self.charon = charon
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard let packet = try? VICIPacket.decode(frame) else {
            context.close(promise: nil)
            return
        }
        switch packet {
        case .commandRequest(let name, let message):
            counter.served(name)
            switch charon.answer(name, message) {
            case .stream(let event, let frames, let response):
                if registered.contains(event) {
                    for frame in frames { context.write(Self.wrapOutboundOut(frame), promise: nil) }
                }
                send(.commandResponse(response), context: context)
            case .response(let response):
                send(.commandResponse(response), context: context)
            case .unknown:
                send(.commandUnknown, context: context)
            }
        case .eventRegister(let name):
            registered.insert(name)
            send(.eventConfirm, context: context)
        case .eventUnregister(let name):
            registered.remove(name)
            send(.eventConfirm, context: context)
        default:
            context.close(promise: nil)
        }
    }

    private func send(_ packet: VICIPacket, context: ChannelHandlerContext) {
        guard let frame = try? SyntheticCharon.frame(packet) else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
