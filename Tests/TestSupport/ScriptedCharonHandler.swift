import NIOCore
import VICI

/// One client connection of a ``ScriptedCharon``: keeps the server's counts and hands each packet to the
/// script in force.
final class ScriptedCharonHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let shared: ScriptedCharon.Shared
    private let options: VICICodingOptions
    private var session: CharonSession?

    init(shared: ScriptedCharon.Shared, maxFrameLength: Int) {
        self.shared = shared
        options = VICICodingOptions(maxFrameLength: maxFrameLength)
    }

    func channelActive(context: ChannelHandlerContext) {
        let session = CharonSession(context: context) { [shared] name, message in shared.push(name, message) }
        self.session = session
        let script = shared.state.withLock { state in
            state.connectTimes.append(.now)
            state.open[ObjectIdentifier(session)] = session
            return state.script
        }
        if shared.recording { shared.sessions.push(CharonSessionHandle(channel: context.channel)) }
        script.onConnect(session)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session {
            session.stopTimers()
            shared.state.withLock { state in
                state.disconnects += 1
                _ = state.open.removeValue(forKey: ObjectIdentifier(session))
            }
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard let session, session.isOpen, let packet = try? VICIPacket.decode(frame, options: options) else {
            context.close(promise: nil)
            return
        }
        let script = shared.state.withLock { state in
            switch packet {
            case .commandRequest(let name, _): state.commands[name, default: 0] += 1
            case .eventRegister(let name): state.registrations[name, default: []].append(.now)
            default: break
            }
            return state.script
        }
        if shared.recording { shared.packets.push(packet) }
        if !script.handle(packet, session) { session.close() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
