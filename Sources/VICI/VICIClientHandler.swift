import Logging
import NIOCore

/// The channel handler of one VICI client connection: it lives in the pipeline after the frame decoder, is only
/// ever touched on its event loop, and holds what the protocol logic must not: the promises of the callers,
/// the streams' producers, the subscription buffer, the deadline timers and the channel. It feeds every event
/// to a ``VICIConnectionStateMachine`` and performs the actions that returns.
final class VICIClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias OperationID = VICIConnectionStateMachine.OperationID

    /// Who waits for an operation's result.
    enum Caller {
        /// A command's caller: the response.
        case command(EventLoopPromise<VICIMessage>)
        /// A streamed command: its events go to `events`, the response to `promise` (after de-registration).
        case stream(events: VICICommandEvents.Producer.Source, promise: EventLoopPromise<VICIMessage>)
        /// A subscription's registration.
        case subscribe(EventLoopPromise<Void>)

        /// Hands over the response (a stream's events end normally).
        func succeed(_ response: VICIMessage) {
            switch self {
            case .command(let promise): promise.succeed(response)
            case .stream(let events, let promise):
                events.finish()
                promise.succeed(response)
            case .subscribe(let promise): promise.succeed(())
            }
        }

        /// Fails the caller (a stream's events end with `error`).
        func fail(_ error: VICIError) {
            switch self {
            case .command(let promise): promise.fail(error)
            case .stream(let events, let promise):
                events.finish(error)
                promise.fail(error)
            case .subscribe(let promise): promise.fail(error)
            }
        }
    }

    private var state: VICIConnectionStateMachine
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var callers: [OperationID: Caller] = [:]
    private var timers: [OperationID: Scheduled<Void>] = [:]

    /// The subscription buffer of a ``VICIEventStream`` connection, if any.
    private(set) var subscription: VICIEventBuffer?

    init(options: VICICodingOptions, logger: Logger) {
        self.state = VICIConnectionStateMachine(options: options)
        self.logger = logger
    }

    // MARK: - API (event loop only)

    /// Queues `operation` for `caller` with a deadline `timeout` from now.
    func enqueue(_ operation: VICIConnectionStateMachine.Operation, caller: Caller, id: OperationID, timeout: TimeAmount) {
        callers[id] = caller
        perform(state.enqueue(operation, id: id, timeout: timeout))
    }

    /// The caller of `id` stopped waiting: drop it if queued, detach it if active.
    func cancel(_ id: OperationID) {
        perform(state.cancel(id))
    }

    /// The consumer of a stream wants more events.
    func streamDemand(_ id: OperationID) {
        perform(state.streamDemand(id))
    }

    /// The consumer of a stream is gone (finished, dropped the sequence, cancelled): discard the rest.
    func streamTerminated(_ id: OperationID) {
        perform(state.streamTerminated(id))
    }

    /// Makes this a subscription connection: matching events go to `buffer`.
    func attach(_ buffer: VICIEventBuffer) {
        subscription = buffer
        state.subscriptionAttached()
    }

    /// Notes that the client itself is closing the connection (so subscriptions end without an error).
    func closingByClient() {
        perform(state.closeRequested())
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        state.handlerRemoved()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(state.frameReceived(Self.unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        perform(state.errorCaught(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(state.channelInactive())
        context.fireChannelInactive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        perform(state.readComplete())
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        perform(state.readRequested())
    }

    // MARK: - Performing the state machine's actions

    private func perform(_ actions: [VICIConnectionStateMachine.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: VICIConnectionStateMachine.Action) {
        switch action {
        case .send(let frame):
            context?.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
        case .scheduleTimeout(let id, let timeout):
            guard let context else { return }
            timers[id] = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.timers[id] = nil
                self.perform(self.state.timedOut(id))
            }
        case .cancelTimeout(let id):
            timers.removeValue(forKey: id)?.cancel()
        case .succeed(let id, let response):
            callers.removeValue(forKey: id)?.succeed(response)
        case .fail(let id, let error):
            callers.removeValue(forKey: id)?.fail(error)
        case .deliverEvents(let id, let events):
            guard case .stream(let source, _) = callers[id] else { return }
            switch source.yield(contentsOf: events) {
            case .produceMore: state.eventsDelivered(id, demand: .more)
            case .stopProducing: state.eventsDelivered(id, demand: .stop)
            case .dropped: state.eventsDelivered(id, demand: .gone)
            }
        case .deliverToSubscription(let name, let message, let size):
            if let subscription, !subscription.append(name: name, message: message, size: size) {
                perform(state.subscriptionOverflowed())
            }
        case .finishSubscription(let error):
            subscription?.finish(error)
        case .read:
            context?.read()
        case .close:
            context?.close(promise: nil)
        case .log(let level, let message, let metadata):
            logger.log(level: level, message, metadata: metadata)
        }
    }
}
