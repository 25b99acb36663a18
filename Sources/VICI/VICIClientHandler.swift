import NIOCore

/// The connection's protocol state machine, on the channel's event loop: queues operations so that only one
/// command is in flight, routes each packet to the active operation or the event sink, enforces the idle
/// timeout, and fails everything with one error when the connection breaks.
final class VICIClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = VICIPacket

    private let options: VICICodingOptions
    private let timeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var queue: [VICIOperation] = []
    private var current: VICIOperation?
    private var timeoutTask: Scheduled<Void>?
    private var closedError: VICIError?
    /// Where events outside any streamed command go (subscription connections).
    var eventSink: ((String, VICIMessage) -> Void)?
    /// Called once when the connection is finished (closed or failed).
    var onClose: ((VICIError) -> Void)?

    init(options: VICICodingOptions, timeout: TimeAmount) {
        self.options = options
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Queues `operation`; it starts when the ones before it are done.
    func submit(_ operation: VICIOperation) {
        if let closedError {
            operation.fail(closedError)
            return
        }
        queue.append(operation)
        if current == nil { startNext() }
    }

    private func startNext() {
        guard current == nil, !queue.isEmpty else { return }
        current = queue.removeFirst()
        runStep()
    }

    private func runStep() {
        guard let operation = current, let context else { return }
        guard let step = operation.step else {
            current = nil
            cancelTimeout()
            operation.finish()
            startNext()
            return
        }
        let packet: VICIPacket
        switch step {
        case .register(let name): packet = .eventRegister(name: name)
        case .request(let command, let message): packet = .commandRequest(name: command, message: message)
        case .unregister(let name): packet = .eventUnregister(name: name)
        }
        armTimeout()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(packet)).whenFailure { error in
            bound.value.failAll(VICIError(.connectionClosed, "writing to charon failed: \(error)"))
        }
    }

    private func advance() {
        current?.index += 1
        runStep()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let packet: VICIPacket
        do {
            packet = try VICIPacket.decode(frame, options: options)
        } catch {
            failAll(error)
            return
        }
        if current != nil { armTimeout() }
        switch packet {
        case .event(let name, let message):
            if let operation = current, case .request? = operation.step, name == operation.streamEvent {
                operation.streamedBytes += frame.readableBytes
                if operation.streamedBytes > operation.maxStreamBytes {
                    if operation.error == nil {
                        operation.error = VICIError(
                            .streamTooLarge, "'\(name)' events exceeded \(operation.maxStreamBytes) bytes")
                    }
                } else if operation.error == nil {
                    operation.sink.yield(.event(name: name, message: message))
                }
            } else {
                eventSink?(name, message)
            }
        case .eventConfirm:
            guard let operation = current, let step = operation.step else {
                return failAll(VICIError(.unexpectedPacket, "EVENT_CONFIRM with no registration pending"))
            }
            switch step {
            case .register, .unregister: advance()
            case .request: failAll(VICIError(.unexpectedPacket, "EVENT_CONFIRM while waiting for a command response"))
            }
        case .eventUnknown:
            guard let operation = current, let step = operation.step else {
                return failAll(VICIError(.unexpectedPacket, "EVENT_UNKNOWN with no registration pending"))
            }
            switch step {
            case .register(let name):
                operation.error = VICIError(.unknownEvent, "charon has no event '\(name)'")
                operation.index = operation.steps.count
                runStep()
            case .unregister:
                advance()
            case .request:
                failAll(VICIError(.unexpectedPacket, "EVENT_UNKNOWN while waiting for a command response"))
            }
        case .commandResponse(let message):
            guard let operation = current, case .request? = operation.step else {
                return failAll(VICIError(.unexpectedPacket, "CMD_RESPONSE with no command pending"))
            }
            operation.response = message
            advance()
        case .commandUnknown:
            guard let operation = current, case .request(let command, _)? = operation.step else {
                return failAll(VICIError(.unexpectedPacket, "CMD_UNKNOWN with no command pending"))
            }
            if operation.error == nil { operation.error = VICIError(.unknownCommand, "charon has no command '\(command)'") }
            advance()
        case .commandRequest, .eventRegister, .eventUnregister:
            failAll(VICIError(.unexpectedPacket, "charon sent a \(packet.type) packet, which only clients send"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(VICIError(.connectionClosed, "charon closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? VICIError {
            failAll(error)
        } else if let error = error as? ByteToMessageDecoderError {
            failAll(VICIError(.truncated, "framing failed: \(error)"))
        } else {
            failAll(VICIError(.connectionClosed, "connection error: \(error)"))
        }
    }

    private func armTimeout() {
        timeoutTask?.cancel()
        guard let context else { return }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timeoutTask = context.eventLoop.scheduleTask(in: timeout) {
            bound.value.failAll(VICIError(.timeout, "charon did not answer within \(seconds) s"))
        }
    }

    private func cancelTimeout() {
        timeoutTask?.cancel()
        timeoutTask = nil
    }

    /// Fails the active and every queued operation with `error`, finishes the event sink and closes the
    /// channel. Later submissions fail at once with the same error.
    func failAll(_ error: VICIError) {
        guard closedError == nil else { return }
        closedError = error
        cancelTimeout()
        current?.fail(error)
        current = nil
        for operation in queue { operation.fail(error) }
        queue.removeAll()
        onClose?(error)
        onClose = nil
        eventSink = nil
        context?.close(promise: nil)
    }
}
