import Logging
import NIOCore

/// The protocol logic of one VICI client connection, free of I/O: it owns no channel, promise or timer.
/// ``VICIClientHandler`` feeds it what happens (an operation submitted, a packet received, a deadline passed,
/// a caller gone, the channel closed…) and performs the ``Action``s each input returns, in their order.
/// Operations are named by an ``OperationID`` chosen by the submitter.
///
/// Operations are queued and run strictly one at a time, because the protocol has no sequence numbers:
///
/// - a command: CMD_REQUEST → CMD_RESPONSE | CMD_UNKNOWN;
/// - a streamed command: EVENT_REGISTER → EVENT_CONFIRM | EVENT_UNKNOWN, CMD_REQUEST → events… →
///   CMD_RESPONSE | CMD_UNKNOWN, EVENT_UNREGISTER → EVENT_CONFIRM | EVENT_UNKNOWN. De-registration always
///   happens once registration succeeded, whatever the consumer does (it may stop listening, throw or be
///   cancelled: the rest of the stream is then drained and discarded here);
/// - a subscription: EVENT_REGISTER → EVENT_CONFIRM | EVENT_UNKNOWN, after which events of that name go to the
///   connection's subscription buffer.
///
/// EVENT packets may arrive at any moment, also while waiting for a (de-)registration confirmation; they are
/// routed by name to the active stream, to the subscription, or dropped (logged at debug level). A stream's
/// events are collected during a read burst and handed over in one batch at ``readComplete()``.
///
/// Anything malformed or out of place from the daemon fails the active operation with the precise error and
/// closes the connection; queued operations then fail with ``VICIError/Code/connectionClosed`` once the
/// channel is inactive.
struct VICIConnectionStateMachine {
    /// Names one submitted operation (for its completion, timeout and cancellation). Unique per connection.
    struct OperationID: Hashable, Sendable, CustomStringConvertible {
        let rawValue: UInt64

        init(_ rawValue: UInt64) {
            self.rawValue = rawValue
        }

        var description: String { "#\(rawValue)" }
    }

    /// A unit of work. Frames are encoded by the submitter, so encoding errors never reach the state machine.
    enum Operation: Equatable, Sendable {
        /// A command: `request` is its CMD_REQUEST frame.
        case command(name: String, request: ByteBuffer)
        /// A streamed command with the frames of its EVENT_REGISTER, CMD_REQUEST and EVENT_UNREGISTER.
        case streamed(command: String, event: String, register: ByteBuffer, request: ByteBuffer, unregister: ByteBuffer)
        /// A subscription to `event`: `register` is its EVENT_REGISTER frame.
        case subscribe(event: String, register: ByteBuffer)

        /// How errors and logs name the operation.
        var label: String {
            switch self {
            case .command(let name, _): return "command '\(name)'"
            case .streamed(let command, let event, _, _, _): return "streamed command '\(command)' (event '\(event)')"
            case .subscribe(let event, _): return "registration for event '\(event)'"
            }
        }
    }

    /// What the consumer of a stream answered when it was handed a batch of events.
    enum StreamDemand: Equatable, Sendable {
        /// It wants more.
        case more
        /// Its backlog reached the high watermark: stop reading the socket until it asks for more.
        case stop
        /// It is gone: discard the rest of the stream.
        case gone
    }

    /// Something the channel handler must do, in the order returned.
    enum Action: Equatable {
        /// Write and flush this frame.
        case send(ByteBuffer)
        /// Start the deadline of an operation; when it passes, call ``timedOut(_:)``.
        case scheduleTimeout(OperationID, TimeAmount)
        /// Stop the deadline of an operation (it may have passed already).
        case cancelTimeout(OperationID)
        /// Complete an operation with this response (a subscription's response is an empty message); a stream's
        /// event sequence ends normally.
        case succeed(OperationID, VICIMessage)
        /// Fail an operation (and end a stream's event sequence) with this error.
        case fail(OperationID, VICIError)
        /// Hand these events to the stream of an operation, then report the consumer's answer with
        /// ``eventsDelivered(_:demand:)``.
        case deliverEvents(OperationID, [VICIMessage])
        /// Append an event to the subscription buffer (`size`: its wire size); if it does not fit, call
        /// ``subscriptionOverflowed()``.
        case deliverToSubscription(name: String, message: VICIMessage, size: Int)
        /// End the subscription after its buffered events: normally (`nil`) or with an error.
        case finishSubscription(VICIError?)
        /// Pass a read request on to the socket (one that was held while reading was paused, or a new one).
        case read
        /// Close the channel.
        case close
        /// Log a message.
        case log(Logger.Level, Logger.Message, Logger.Metadata)
    }

    private struct Queued {
        let id: OperationID
        let operation: Operation
        let timeout: TimeAmount
    }

    private enum Phase {
        /// A command's request was sent.
        case awaitingResponse
        /// A stream's EVENT_REGISTER was sent.
        case registering
        /// A stream's request was sent; its events arrive.
        case streaming
        /// A stream's response (or refusal) came and EVENT_UNREGISTER was sent; the result waits for the
        /// confirmation.
        case unregistering(Result<VICIMessage, VICIError>)
        /// A subscription's EVENT_REGISTER was sent.
        case subscribing
    }

    private struct Active {
        let id: OperationID
        let operation: Operation
        let timeout: TimeAmount
        var phase: Phase
        /// The caller stopped waiting (cancelled): the operation runs to its end but its result is dropped.
        var detached = false
        /// Whether events still go to the stream (false once its consumer is gone).
        var sinkOpen = true
    }

    private let options: VICICodingOptions
    private var queue = CircularBuffer<Queued>()
    private var active: Active?
    /// Set once the connection is closing or closed: the error that later operations fail with.
    private var closeReason: VICIError?
    private var readPaused = false
    private var pendingRead = false
    /// Stream events decoded during the current read burst, handed to the consumer in one batch at
    /// ``readComplete()`` (one wake-up of the consumer per socket read instead of one per event).
    private var pendingEvents: [VICIMessage] = []
    /// Whether this connection has a subscription buffer (a ``VICIEventStream`` connection).
    private var hasSubscription = false
    /// Event names that go to the subscription (added when EVENT_REGISTER is sent, so that events raised
    /// before the confirmation arrives are kept).
    private var subscribedEvents = Set<String>()

    /// A state machine decoding frames with `options`.
    init(options: VICICodingOptions = VICICodingOptions()) {
        self.options = options
    }

    // MARK: - Inputs from the caller's side

    /// Queues `operation` with a deadline `timeout` from now; starts it if nothing else is active.
    mutating func enqueue(_ operation: Operation, id: OperationID, timeout: TimeAmount) -> [Action] {
        if let closeReason { return [.fail(id, closeReason)] }
        var actions: [Action] = [.scheduleTimeout(id, timeout)]
        queue.append(Queued(id: id, operation: operation, timeout: timeout))
        startNext(&actions)
        return actions
    }

    /// The caller of `id` stopped waiting: drop it if queued, detach it if active (it then runs to its end,
    /// a stream is drained, and its result is dropped).
    mutating func cancel(_ id: OperationID) -> [Action] {
        let error = VICIError(.cancelled, "the calling task was cancelled")
        if let index = queue.firstIndex(where: { $0.id == id }) {
            queue.remove(at: index)
            return [.cancelTimeout(id), .fail(id, error)]
        }
        guard var current = active, current.id == id, !current.detached else { return [] }
        pendingEvents.removeAll()
        current.detached = true
        current.sinkOpen = false
        active = current
        var actions: [Action] = [.fail(id, error)]
        resumeReading(&actions)
        return actions
    }

    /// The consumer of the stream of `id` wants more events.
    mutating func streamDemand(_ id: OperationID) -> [Action] {
        guard let active, active.id == id else { return [] }
        var actions: [Action] = []
        resumeReading(&actions)
        return actions
    }

    /// The consumer of the stream of `id` is gone (finished, dropped the sequence, cancelled): the rest of the
    /// stream is discarded.
    mutating func streamTerminated(_ id: OperationID) -> [Action] {
        guard var current = active, current.id == id else { return [] }
        pendingEvents.removeAll()
        current.sinkOpen = false
        active = current
        var actions: [Action] = []
        resumeReading(&actions)
        return actions
    }

    /// The answer of the stream's consumer to a ``Action/deliverEvents(_:_:)`` of `id` (ignored if that
    /// operation is no longer active).
    mutating func eventsDelivered(_ id: OperationID, demand: StreamDemand) {
        guard var current = active, current.id == id else { return }
        switch demand {
        case .more: break
        case .stop: readPaused = true
        case .gone:
            current.sinkOpen = false
            active = current
        }
    }

    /// Makes this a subscription connection: events of registered names go to the subscription buffer.
    mutating func subscriptionAttached() {
        hasSubscription = true
    }

    /// The client itself is closing the connection (so the subscription ends without an error, and operations
    /// fail with "closed by the client"). The handler closes the channel.
    mutating func closeRequested() -> [Action] {
        if closeReason == nil {
            closeReason = VICIError(.connectionClosed, "the connection was closed by the client")
        }
        return hasSubscription ? [.finishSubscription(nil)] : []
    }

    /// The deadline of `id` passed: a queued operation is removed (the connection stays usable); an active one
    /// fails and the connection is closed (a late answer would be taken for the next operation's).
    mutating func timedOut(_ id: OperationID) -> [Action] {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            let queued = queue.remove(at: index)
            return [.fail(id, VICIError(.timeout, "\(queued.operation.label) timed out after \(Self.seconds(queued.timeout)) s while queued"))]
        }
        guard let current = active, current.id == id else { return [] }
        let label = current.operation.label
        var actions: [Action] = [.log(.warning, "operation timed out; closing the connection", ["operation": "\(label)"])]
        finishActiveWithoutStartingNext(VICIError(.timeout, "\(label) timed out after \(Self.seconds(current.timeout)) s"),
                                        &actions)
        closeReason = VICIError(.connectionClosed, "the connection was closed because \(label) timed out")
        actions.append(.close)
        return actions
    }

    // MARK: - Inputs from the channel

    /// A transport frame (without its length prefix) arrived: decodes it and handles the packet; a decoding
    /// error is a protocol error.
    mutating func frameReceived(_ frame: ByteBuffer) -> [Action] {
        let packet: VICIPacket
        do {
            packet = try VICIPacket.decode(frame, options: options)
        } catch {
            return protocolFailure(error)
        }
        return packetReceived(packet, wireSize: frame.readableBytes + 4)
    }

    /// A packet arrived; `wireSize` is its size on the wire (length prefix included), which the subscription
    /// buffer counts against its byte limit.
    mutating func packetReceived(_ packet: VICIPacket, wireSize: Int) -> [Action] {
        switch packet {
        case .event(let name, let message):
            return route(event: name, message: message, size: wireSize)
        case .commandResponse(let message):
            return commandAnswered(.success(message), type: .commandResponse)
        case .commandUnknown:
            return commandAnswered(.failure(VICIError(.unknownCommand, "the daemon does not know this command")),
                                   type: .commandUnknown)
        case .eventConfirm:
            return registrationAnswered(confirmed: true)
        case .eventUnknown:
            return registrationAnswered(confirmed: false)
        case .commandRequest, .eventRegister, .eventUnregister:
            return protocolFailure(VICIError(.unexpectedPacket, "the daemon sent a client packet (\(packet.type))"))
        }
    }

    /// The socket read burst is over: hands the stream events it brought to the consumer.
    mutating func readComplete() -> [Action] {
        var actions: [Action] = []
        flushPendingEvents(&actions)
        return actions
    }

    /// The pipeline asks for a read: passed on, or held while the stream's consumer is behind.
    mutating func readRequested() -> [Action] {
        if readPaused {
            pendingRead = true
            return []
        }
        return [.read]
    }

    /// The subscription buffer overflowed under the `.fail` policy: the subscription is over, and so is the
    /// connection.
    mutating func subscriptionOverflowed() -> [Action] {
        closeReason = VICIError(.connectionClosed, "the event buffer overflowed")
        return [.close]
    }

    /// The pipeline reported an error (a ``VICIError`` from the frame decoder, or an I/O error): a protocol
    /// error, which closes the connection.
    mutating func errorCaught(_ error: any Error) -> [Action] {
        if let error = error as? VICIError {
            return protocolFailure(error)
        }
        return protocolFailure(VICIError(.connectionClosed, "connection error: \(error)"))
    }

    /// The channel closed: the active and all queued operations fail (with the reason the client closed it,
    /// or "the daemon closed the connection"), and the subscription ends with that reason.
    mutating func channelInactive() -> [Action] {
        let reason = closeReason ?? VICIError(.connectionClosed, "the daemon closed the connection")
        closeReason = reason
        var actions: [Action] = []
        flushPendingEvents(&actions)
        if let current = active {
            active = nil
            actions.append(.cancelTimeout(current.id))
            if !current.detached { actions.append(.fail(current.id, reason)) }
        }
        while let queued = queue.popFirst() {
            actions.append(.cancelTimeout(queued.id))
            actions.append(.fail(queued.id, reason))
        }
        if hasSubscription { actions.append(.finishSubscription(reason)) }
        return actions
    }

    /// The handler left the pipeline (after the channel closed): later operations fail at once.
    mutating func handlerRemoved() {
        if closeReason == nil {
            closeReason = VICIError(.connectionClosed, "the connection is closed")
        }
    }

    // MARK: - Transitions

    private mutating func startNext(_ actions: inout [Action]) {
        guard active == nil, closeReason == nil, let next = queue.popFirst() else { return }
        switch next.operation {
        case .command(_, let request):
            active = Active(id: next.id, operation: next.operation, timeout: next.timeout, phase: .awaitingResponse)
            actions.append(.send(request))
        case .streamed(_, _, let register, _, _):
            active = Active(id: next.id, operation: next.operation, timeout: next.timeout, phase: .registering)
            actions.append(.send(register))
        case .subscribe(let event, let register):
            subscribedEvents.insert(event)
            active = Active(id: next.id, operation: next.operation, timeout: next.timeout, phase: .subscribing)
            actions.append(.send(register))
        }
    }

    private mutating func commandAnswered(_ result: Result<VICIMessage, VICIError>, type: VICIPacket.PacketType) -> [Action] {
        guard var current = active else {
            return protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while no command was active"))
        }
        switch current.phase {
        case .awaitingResponse:
            var actions: [Action] = []
            finishActive(result, &actions)
            return actions
        case .streaming:
            guard case .streamed(_, _, _, _, let unregister) = current.operation else { return [] }
            current.phase = .unregistering(result)
            active = current
            return [.send(unregister)]
        case .registering, .unregistering, .subscribing:
            return protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while \(current.operation.label) awaited EVENT_CONFIRM"))
        }
    }

    private mutating func registrationAnswered(confirmed: Bool) -> [Action] {
        let type: VICIPacket.PacketType = confirmed ? .eventConfirm : .eventUnknown
        guard var current = active else {
            return protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while nothing was being registered"))
        }
        var actions: [Action] = []
        switch (current.phase, current.operation) {
        case (.registering, .streamed(_, let event, _, let request, _)):
            if confirmed {
                current.phase = .streaming
                active = current
                actions.append(.send(request))
            } else {
                finishActive(.failure(VICIError(.unknownEvent, "the daemon does not know the event '\(event)'")), &actions)
            }
        case (.unregistering(let result), .streamed(_, let event, _, _, _)):
            if !confirmed {
                actions.append(.log(.warning, "daemon refused to unregister event", ["event": "\(event)"]))
            }
            finishActive(result, &actions)
        case (.subscribing, .subscribe(let event, _)):
            if confirmed {
                finishActive(.success(VICIMessage()), &actions)
            } else {
                subscribedEvents.remove(event)
                finishActive(.failure(VICIError(.unknownEvent, "the daemon does not know the event '\(event)'")), &actions)
            }
        default:
            return protocolFailure(VICIError(.unexpectedPacket, "\(type) arrived while \(current.operation.label) awaited CMD_RESPONSE"))
        }
        return actions
    }

    private mutating func route(event name: String, message: VICIMessage, size: Int) -> [Action] {
        if let current = active, case .streaming = current.phase,
           case .streamed(_, let event, _, _, _) = current.operation, event == name {
            if current.sinkOpen { pendingEvents.append(message) }
            return []
        }
        if hasSubscription, subscribedEvents.contains(name) {
            return [.deliverToSubscription(name: name, message: message, size: size)]
        }
        return [.log(.debug, "dropping event nobody registered for", ["event": "\(name)"])]
    }

    /// Hands the events of this read burst to the active stream's consumer.
    private mutating func flushPendingEvents(_ actions: inout [Action]) {
        guard !pendingEvents.isEmpty else { return }
        let events = pendingEvents
        // A fresh buffer (the batch keeps the old one), sized like the last burst.
        pendingEvents = []
        pendingEvents.reserveCapacity(events.count)
        guard let current = active, current.sinkOpen, case .streamed = current.operation else { return }
        actions.append(.deliverEvents(current.id, events))
    }

    /// Completes the active operation with `result` and starts the next one.
    private mutating func finishActive(_ result: Result<VICIMessage, VICIError>, _ actions: inout [Action]) {
        flushPendingEvents(&actions)
        guard let current = active else { return }
        active = nil
        actions.append(.cancelTimeout(current.id))
        resumeReading(&actions)
        if !current.detached {
            switch current.operation {
            case .command(let name, _), .streamed(let name, _, _, _, _):
                switch result {
                case .success(let response):
                    actions.append(.succeed(current.id, response))
                case .failure(var error):
                    error.message += " (command '\(name)')"
                    actions.append(.fail(current.id, error))
                }
            case .subscribe:
                switch result {
                case .success: actions.append(.succeed(current.id, VICIMessage()))
                case .failure(let error): actions.append(.fail(current.id, error))
                }
            }
        }
        startNext(&actions)
    }

    /// The daemon sent something malformed or out of place: fail the active operation with the precise error,
    /// end the subscription and close the connection.
    private mutating func protocolFailure(_ error: VICIError) -> [Action] {
        guard closeReason == nil else { return [] }
        var actions: [Action] = [.log(.error, "VICI protocol error; closing the connection", ["error": "\(error)"])]
        finishActiveWithoutStartingNext(error, &actions)
        if hasSubscription { actions.append(.finishSubscription(error)) }
        closeReason = VICIError(.connectionClosed, "the connection was closed after a protocol error: \(error)")
        actions.append(.close)
        return actions
    }

    private mutating func finishActiveWithoutStartingNext(_ error: VICIError, _ actions: inout [Action]) {
        flushPendingEvents(&actions)
        guard let current = active else { return }
        active = nil
        actions.append(.cancelTimeout(current.id))
        if !current.detached { actions.append(.fail(current.id, error)) }
    }

    private mutating func resumeReading(_ actions: inout [Action]) {
        readPaused = false
        if pendingRead {
            pendingRead = false
            actions.append(.read)
        }
    }

    private static func seconds(_ timeout: TimeAmount) -> Double {
        Double(timeout.nanoseconds) / 1e9
    }
}
