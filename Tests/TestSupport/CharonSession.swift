import NIOCore
import VICI

/// One client connection of a ``ScriptedCharon`` as a script sees it. Use it on the connection's event loop
/// only (every script hook runs there); ``ScriptedCharon/nextSession()`` hands tests a
/// ``CharonSessionHandle`` for other tasks.
public final class CharonSession: @unchecked Sendable {
    /// The connection's channel handler context.
    public let context: ChannelHandlerContext
    /// The connection's event loop.
    public let eventLoop: any EventLoop
    /// The events this client registered.
    public var registered = Set<String>()
    /// Free-form state for scripts.
    public var state: [String: Int] = [:]
    /// Whether the connection is still open (after ``close()``, nothing more is sent).
    public private(set) var isOpen = true
    private var timer: Scheduled<Void>?
    private let broadcast: @Sendable (_ event: String, _ message: VICIMessage) -> Void

    init(context: ChannelHandlerContext, broadcast: @escaping @Sendable (String, VICIMessage) -> Void) {
        self.context = context
        self.eventLoop = context.eventLoop
        self.broadcast = broadcast
    }

    /// Whether the socket's send buffer has room (the client keeps reading).
    public var isWritable: Bool { context.channel.isWritable }

    /// Sends `packet` as one frame (any length: a fake may send what charon would not).
    public func send(_ packet: VICIPacket, flush: Bool = true) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        // Scripts send encodable packets; one that is not shows up as a missing answer.
        try? packet.encodeFrame(into: &buffer, options: VICICodingOptions(maxFrameLength: .max))
        sendRaw(buffer, flush: flush)
    }

    /// Sends these bytes as they are.
    public func sendRaw(_ bytes: [UInt8], flush: Bool = true) {
        sendRaw(context.channel.allocator.buffer(bytes: bytes), flush: flush)
    }

    /// Sends these bytes as they are.
    public func sendRaw(_ buffer: ByteBuffer, flush: Bool = true) {
        guard isOpen else { return }
        if flush {
            context.writeAndFlush(NIOAny(buffer), promise: nil)
        } else {
            context.write(NIOAny(buffer), promise: nil)
        }
    }

    /// Flushes what was sent with `flush: false`.
    public func flush() {
        if isOpen { context.flush() }
    }

    /// Sends EVENT `name` with `message` if this client registered `name`.
    public func sendEventIfRegistered(_ name: String, _ message: VICIMessage) {
        if registered.contains(name) { send(.event(name: name, message: message)) }
    }

    /// Closes the connection.
    public func close() {
        guard isOpen else { return }
        stopTimers()
        context.close(promise: nil)
    }

    /// Runs `body` now and then every `interval` until the connection closes or `body` returns false (one
    /// such loop per session).
    public func every(_ interval: Duration, _ body: @escaping (CharonSession) -> Bool) {
        guard isOpen, body(self), isOpen else { return }
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: TimeAmount(interval)) {
            self.every(interval, body)
        }
    }

    /// Carries out `reply`, then calls `done` (at once, or after the reply's delays).
    public func perform(_ reply: CharonReply, then done: @escaping () -> Void = {}) {
        perform(ArraySlice([reply]), then: done)
    }

    private func perform(_ replies: ArraySlice<CharonReply>, then done: @escaping () -> Void) {
        var rest = replies
        while let reply = rest.popFirst() {
            guard isOpen else { return }
            switch reply {
            case .response(let message):
                send(.commandResponse(message))
            case .stream(let event, let events, let response):
                if registered.contains(event) {
                    for message in events { send(.event(name: event, message: message), flush: false) }
                }
                send(.commandResponse(response))
            case .frames(let frames):
                for frame in frames where Self.isDeliverable(frame, to: registered) { sendRaw(frame, flush: false) }
                flush()
            case .unknown:
                send(.commandUnknown)
            case .raw(let bytes):
                sendRaw(bytes)
            case .silence:
                break
            case .close:
                close()
                return
            case .push(let event, let message):
                broadcast(event, message)
            case .sequence(let replies):
                rest = ArraySlice(replies) + rest
            case .delayed(let delay, let reply):
                let later = ArraySlice([reply]) + rest
                context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: TimeAmount(delay)) {
                    self.perform(later, then: done)
                }
                return
            }
        }
        done()
    }

    /// Whether a complete wire frame goes to a client that registered `registered`: EVENT frames only for
    /// their registered events, everything else always.
    static func isDeliverable(_ frame: ByteBuffer, to registered: Set<String>) -> Bool {
        let start = frame.readerIndex
        guard frame.readableBytes > 5, frame.getInteger(at: start + 4, as: UInt8.self) == VICIPacket.PacketType.event.rawValue,
              let length = frame.getInteger(at: start + 5, as: UInt8.self),
              let name = frame.getString(at: start + 6, length: min(Int(length), frame.readableBytes - 6))
        else { return true }
        return registered.contains(name)
    }

    func stopTimers() {
        isOpen = false
        timer?.cancel()
        timer = nil
    }
}
