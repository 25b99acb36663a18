import Logging
import NIOCore

/// Identifies one submitted operation (for timeouts and cancellation) by object identity.
final class VICIOperationToken: Sendable {}

/// What a streamed operation hands back: the response, plus the events when they were collected.
struct VICIStreamOutcome: Sendable {
    var events: [VICIMessage]
    var response: VICIMessage
}

/// The protocol state machine of one VICI client connection. It lives in the channel pipeline after the
/// frame decoder and is only ever touched on its event loop.
///
/// Operations are queued and run strictly one at a time, because the protocol has no sequence numbers:
///
/// - a command: CMD_REQUEST → CMD_RESPONSE | CMD_UNKNOWN;
/// - a streamed command: EVENT_REGISTER → EVENT_CONFIRM | EVENT_UNKNOWN, CMD_REQUEST → events… →
///   CMD_RESPONSE | CMD_UNKNOWN, EVENT_UNREGISTER → EVENT_CONFIRM | EVENT_UNKNOWN. De-registration always
///   happens once registration succeeded, whatever the consumer does (it may stop listening, throw or be
///   cancelled: the rest of the stream is then drained and discarded here);
/// - a subscription: EVENT_REGISTER → EVENT_CONFIRM | EVENT_UNKNOWN, after which events of that name go to the
///   connection's ``VICIEventBuffer``.
///
/// EVENT packets may arrive at any moment, also while waiting for a (de-)registration confirmation; they are
/// routed by name to the active stream, to the subscription, or dropped (counted, logged at debug level).
///
/// Anything malformed or out of place from the daemon fails the active operation with the precise error and
/// closes the connection; queued operations then fail with ``VICIError/Code/connectionClosed``.
final class VICIClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How a streamed operation hands its events over.
    enum Sink {
        /// To an async sequence with back-pressure.
        case producer(VICIStreamedEvents.Producer.Source)
        /// Into an array, up to a number of wire bytes.
        case collect(maxBytes: Int)
    }

    /// A unit of work. Frames are encoded by the submitter, so encoding errors never reach the pipeline.
    enum Work {
        case command(name: String, request: ByteBuffer, promise: EventLoopPromise<VICIMessage>)
        case streamed(command: String, event: String, register: ByteBuffer, request: ByteBuffer,
                      unregister: ByteBuffer, sink: Sink, promise: EventLoopPromise<VICIStreamOutcome>)
        case subscribe(event: String, register: ByteBuffer, promise: EventLoopPromise<Void>)

        var label: String {
            switch self {
            case .command(let name, _, _): return "command '\(name)'"
            case .streamed(let command, let event, _, _, _, _, _): return "streamed command '\(command)' (event '\(event)')"
            case .subscribe(let event, _, _): return "registration for event '\(event)'"
            }
        }

        func fail(_ error: VICIError) {
            switch self {
            case .command(_, _, let promise): promise.fail(error)
            case .streamed(_, _, _, _, _, let sink, let promise):
                if case .producer(let source) = sink { source.finish(error) }
                promise.fail(error)
            case .subscribe(_, _, let promise): promise.fail(error)
            }
        }
    }

    private struct Queued {
        let token: VICIOperationToken
        let work: Work
        let timer: Scheduled<Void>
    }

    private enum Phase {
        case awaitingResponse
        case registering
        case streaming
        case unregistering(Result<VICIMessage, VICIError>)
        case subscribing
    }

    private struct Active {
        let token: VICIOperationToken
        let work: Work
        var phase: Phase
        let timer: Scheduled<Void>
        /// The caller stopped waiting (cancelled): the operation runs to its end but its result is dropped.
        var detached = false
        /// Whether events still go to the sink (false once the consumer is gone or the collection overflowed).
        var sinkOpen = true
        var collected: [VICIMessage] = []
        var collectedBytes = 0
        var sinkError: VICIError?
    }

    private let options: VICICodingOptions
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var queue = CircularBuffer<Queued>()
    private var active: Active?
    /// Set once the connection is closing or closed: the error that later operations fail with.
    private var closeReason: VICIError?
    private var readPaused = false
    private var pendingRead = false
    /// Stream events decoded during the current read burst, handed to the consumer in one batch at
    /// `channelReadComplete` (one wake-up of the consumer per socket read instead of one per event).
    private var pendingEvents: [VICIMessage] = []

    /// The subscription buffer of a ``VICIEventStream`` connection, if any.
    private(set) var subscription: VICIEventBuffer?
    /// Event names that go to ``subscription`` (added when EVENT_REGISTER is sent, so that events raised
    /// before the confirmation arrives are kept).
    private var subscribedEvents = Set<String>()
    /// Events that nobody asked for (dropped).
    private(set) var unroutedEvents = 0

    init(options: VICICodingOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    // MARK: - API (event loop only)

    /// Queues `work` with a deadline `timeout` from now.
    func enqueue(_ work: Work, token: VICIOperationToken, timeout: TimeAmount) {
        guard let context, closeReason == nil else {
            work.fail(closeReason ?? VICIError(.connectionClosed, "the connection is closed"))
            return
        }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.timedOut(token, after: timeout)
        }
        queue.append(Queued(token: token, work: work, timer: timer))
        startNext()
    }

    /// The caller of `token` stopped waiting: drop it if queued, detach it if active.
    func cancel(_ token: VICIOperationToken) {
        let error = VICIError(.cancelled, "the calling task was cancelled")
        if let index = queue.firstIndex(where: { $0.token === token }) {
            let queued = queue.remove(at: index)
            queued.timer.cancel()
            queued.work.fail(error)
        } else if var current = active, current.token === token, !current.detached {
            pendingEvents.removeAll()
            current.detached = true
            current.sinkOpen = false
            current.collected = []
            active = current
            current.work.fail(error)
            resumeReading()
        }
    }

    /// The consumer of a stream wants more events.
    func streamDemand(_ token: VICIOperationToken) {
        if let active, active.token === token { resumeReading() }
    }

    /// The consumer of a stream is gone (finished, dropped the sequence, cancelled): discard the rest.
    func streamTerminated(_ token: VICIOperationToken) {
        guard var current = active, current.token === token else { return }
        pendingEvents.removeAll()
        current.sinkOpen = false
        active = current
        resumeReading()
    }

    /// Makes this a subscription connection: matching events go to `buffer`.
    func attach(_ buffer: VICIEventBuffer) {
        subscription = buffer
    }

    /// Notes that the client itself is closing the connection (so subscriptions end without an error).
    func closingByClient() {
        if closeReason == nil {
            closeReason = VICIError(.connectionClosed, "the connection was closed by the client")
        }
        subscription?.finish(nil)
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        let packet: VICIPacket
        do {
            packet = try VICIPacket.decode(frame, options: options)
        } catch {
            protocolFailure(error)
            return
        }
        switch packet {
        case .event(let name, let message):
            route(event: name, message: message, size: frame.readableBytes + 4)
        case .commandResponse(let message):
            commandAnswered(.success(message), type: .commandResponse)
        case .commandUnknown:
            commandAnswered(.failure(VICIError(.unknownCommand, "the daemon does not know this command")),
                            type: .commandUnknown)
        case .eventConfirm:
            registrationAnswered(confirmed: true)
        case .eventUnknown:
            registrationAnswered(confirmed: false)
        case .commandRequest, .eventRegister, .eventUnregister:
            protocolFailure(VICIError(.unexpectedPacket, "the daemon sent a client packet (\(packet.type))"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? VICIError {
            protocolFailure(error)
        } else {
            protocolFailure(VICIError(.connectionClosed, "connection error: \(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason = closeReason ?? VICIError(.connectionClosed, "the daemon closed the connection")
        closeReason = reason
        flushPendingEvents()
        if let current = active {
            active = nil
            current.timer.cancel()
            if !current.detached { current.work.fail(reason) }
        }
        while let queued = queue.popFirst() {
            queued.timer.cancel()
            queued.work.fail(reason)
        }
        subscription?.finish(reason)
        context.fireChannelInactive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushPendingEvents()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if readPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    // MARK: - The state machine

    private func startNext() {
        guard active == nil, closeReason == nil, let next = queue.popFirst() else { return }
        switch next.work {
        case .command(_, let request, _):
            active = Active(token: next.token, work: next.work, phase: .awaitingResponse, timer: next.timer)
            send(request)
        case .streamed(_, _, let register, _, _, _, _):
            active = Active(token: next.token, work: next.work, phase: .registering, timer: next.timer)
            send(register)
        case .subscribe(let event, let register, _):
            subscribedEvents.insert(event)
            active = Active(token: next.token, work: next.work, phase: .subscribing, timer: next.timer)
            send(register)
        }
    }

    private func send(_ frame: ByteBuffer) {
        context?.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    private func commandAnswered(_ result: Result<VICIMessage, VICIError>, type: VICIPacket.PacketType) {
        guard var current = active else {
            protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while no command was active"))
            return
        }
        switch current.phase {
        case .awaitingResponse:
            finishActive(result)
        case .streaming:
            guard case .streamed(_, _, _, _, let unregister, _, _) = current.work else { return }
            current.phase = .unregistering(result)
            active = current
            send(unregister)
        case .registering, .unregistering, .subscribing:
            protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while \(current.work.label) awaited EVENT_CONFIRM"))
        }
    }

    private func registrationAnswered(confirmed: Bool) {
        let type: VICIPacket.PacketType = confirmed ? .eventConfirm : .eventUnknown
        guard var current = active else {
            protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while nothing was being registered"))
            return
        }
        switch (current.phase, current.work) {
        case (.registering, .streamed(_, let event, _, let request, _, _, _)):
            if confirmed {
                current.phase = .streaming
                active = current
                send(request)
            } else {
                finishActive(.failure(VICIError(.unknownEvent, "the daemon does not know the event '\(event)'")))
            }
        case (.unregistering(let result), .streamed(_, let event, _, _, _, _, _)):
            if !confirmed {
                logger.warning("daemon refused to unregister event", metadata: ["event": "\(event)"])
            }
            finishActive(result)
        case (.subscribing, .subscribe(let event, _, _)):
            if confirmed {
                finishActive(.success(VICIMessage()))
            } else {
                subscribedEvents.remove(event)
                finishActive(.failure(VICIError(.unknownEvent, "the daemon does not know the event '\(event)'")))
            }
        default:
            protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while \(current.work.label) awaited CMD_RESPONSE"))
        }
    }

    private func route(event name: String, message: VICIMessage, size: Int) {
        if var current = active, case .streaming = current.phase,
           case .streamed(_, let event, _, _, _, let sink, _) = current.work, event == name {
            guard current.sinkOpen else { return }
            switch sink {
            case .producer:
                pendingEvents.append(message)
            case .collect(let maxBytes):
                current.collectedBytes += size
                if current.collectedBytes > maxBytes {
                    current.sinkOpen = false
                    current.collected = []
                    current.sinkError = VICIError(.streamTooLarge,
                                                  "the '\(event)' events exceed the limit of \(maxBytes) bytes")
                } else {
                    current.collected.append(message)
                }
                active = current
            }
            return
        }
        if let subscription, subscribedEvents.contains(name) {
            if !subscription.append(name: name, message: message, size: size) {
                // Overflow with the `.fail` policy: the subscription is over, and so is the connection.
                closeReason = VICIError(.connectionClosed, "the event buffer overflowed")
                context?.close(promise: nil)
            }
            return
        }
        unroutedEvents += 1
        logger.debug("dropping event nobody registered for", metadata: ["event": "\(name)"])
    }

    /// Hands the events of this read burst to the active stream's consumer.
    private func flushPendingEvents() {
        guard !pendingEvents.isEmpty else { return }
        defer { pendingEvents.removeAll(keepingCapacity: true) }
        guard var current = active, current.sinkOpen,
              case .streamed(_, _, _, _, _, .producer(let source), _) = current.work else { return }
        switch source.yield(contentsOf: pendingEvents) {
        case .produceMore: break
        case .stopProducing: readPaused = true
        case .dropped:
            current.sinkOpen = false
            active = current
        }
    }

    /// Completes the active operation with `result` and starts the next one.
    private func finishActive(_ result: Result<VICIMessage, VICIError>) {
        flushPendingEvents()
        guard let current = active else { return }
        active = nil
        current.timer.cancel()
        resumeReading()
        if !current.detached {
            switch current.work {
            case .command(let name, _, let promise):
                promise.completeWith(result.mapError { error in
                    var error = error
                    error.message += " (command '\(name)')"
                    return error
                })
            case .streamed(let command, _, _, _, _, let sink, let promise):
                var outcome = result.map { VICIStreamOutcome(events: current.collected, response: $0) }
                if case .success = outcome, let sinkError = current.sinkError { outcome = .failure(sinkError) }
                if case .failure(var error) = outcome {
                    error.message += " (command '\(command)')"
                    outcome = .failure(error)
                }
                if case .producer(let source) = sink {
                    switch outcome {
                    case .success: source.finish()
                    case .failure(let error): source.finish(error)
                    }
                }
                promise.completeWith(outcome.mapError { $0 as Error })
            case .subscribe(_, _, let promise):
                promise.completeWith(result.map { _ in () }.mapError { $0 as Error })
            }
        }
        startNext()
    }

    private func timedOut(_ token: VICIOperationToken, after timeout: TimeAmount) {
        let seconds = Double(timeout.nanoseconds) / 1e9
        if let index = queue.firstIndex(where: { $0.token === token }) {
            let queued = queue.remove(at: index)
            queued.work.fail(VICIError(.timeout, "\(queued.work.label) timed out after \(seconds) s while queued"))
            return
        }
        guard let current = active, current.token === token else { return }
        let label = current.work.label
        logger.warning("operation timed out; closing the connection", metadata: ["operation": "\(label)"])
        finishActiveWithoutStartingNext(VICIError(.timeout, "\(label) timed out after \(seconds) s"))
        closeReason = VICIError(.connectionClosed, "the connection was closed because \(label) timed out")
        context?.close(promise: nil)
    }

    /// The daemon sent something malformed or out of place: fail the active operation with the precise error,
    /// end the subscription and close the connection.
    private func protocolFailure(_ error: VICIError) {
        guard closeReason == nil else { return }
        logger.error("VICI protocol error; closing the connection", metadata: ["error": "\(error)"])
        finishActiveWithoutStartingNext(error)
        subscription?.finish(error)
        closeReason = VICIError(.connectionClosed, "the connection was closed after a protocol error: \(error)")
        context?.close(promise: nil)
    }

    private func finishActiveWithoutStartingNext(_ error: VICIError) {
        flushPendingEvents()
        guard let current = active else { return }
        active = nil
        current.timer.cancel()
        if !current.detached { current.work.fail(error) }
    }

    private func resumeReading() {
        readPaused = false
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }
}
