import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A client connection to charon's VICI socket.
///
/// ## Concurrency model
///
/// The connection is a NIO channel whose pipeline ends in an internal channel handler that runs on the
/// channel's event loop and drives a pure protocol state machine (`VICIConnectionStateMachine`). Public methods encode the request on the caller's task
/// (so invalid requests fail immediately, before anything is queued), hand the work to the event loop and
/// await a promise. The protocol has no sequence numbers, so the state machine runs **one operation at a
/// time**; concurrent callers are queued in FIFO order. The class is `Sendable`: share one connection
/// between tasks freely.
///
/// ## Failures
///
/// - The daemon answering CMD_UNKNOWN / EVENT_UNKNOWN: ``VICIError/Code/unknownCommand`` /
///   ``VICIError/Code/unknownEvent`` (the connection stays usable).
/// - A response with `success = no`: ``VICIError/Code/commandFailed`` carrying `errmsg`.
/// - A deadline passing (``Configuration/commandTimeout`` or the per-call `timeout`):
///   ``VICIError/Code/timeout``; if the operation was already active the connection is closed (a late
///   answer would desynchronise it) and every later operation fails with ``VICIError/Code/connectionClosed``.
/// - The daemon closing the socket, or sending anything malformed: the active operation fails (with
///   ``VICIError/Code/connectionClosed`` or the precise decoding error), all queued and later ones with
///   ``VICIError/Code/connectionClosed``. Reconnect by creating a new connection.
/// - The calling task being cancelled: ``VICIError/Code/cancelled`` at once; the connection finishes the
///   abandoned exchange by itself and stays usable.
///
/// Call ``close()`` when done (it is idempotent), or use ``withConnection(to:configuration:isolation:_:)``.
public final class VICIConnection: Sendable {
    /// The endpoint this connection was made to.
    public let endpoint: VICIEndpoint
    /// The configuration it was made with.
    public let configuration: Configuration

    let channel: any Channel
    let handler: NIOLoopBound<VICIClientHandler>
    /// How many operations were submitted (the source of their ids).
    private let operationCount = Atomic<UInt64>(0)

    private init(endpoint: VICIEndpoint, configuration: Configuration, channel: any Channel,
                 handler: NIOLoopBound<VICIClientHandler>) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.channel = channel
        self.handler = handler
    }

    deinit {
        // Safety net only: callers should close explicitly.
        channel.close(promise: nil)
    }

    // MARK: - Connecting and closing

    /// Connects to `endpoint`. Fails with ``VICIError/Code/connectFailed`` naming the endpoint and the
    /// system's reason (e.g. "No such file or directory", "Connection refused", a timeout).
    public static func connect(
        to endpoint: VICIEndpoint = .default,
        configuration: Configuration = Configuration()
    ) async throws(VICIError) -> VICIConnection {
        let options = configuration.coding
        let logger = configuration.logger
        let bootstrap = ClientBootstrap(group: configuration.eventLoopGroup)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(ByteToMessageHandler(VICIFrameDecoder(maxFrameLength: options.maxFrameLength)))
                    try operations.addHandler(VICIClientHandler(options: options, logger: logger))
                }
            }
        do {
            let channel: any Channel
            switch endpoint {
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port):
                channel = try await bootstrap.connect(host: host, port: port).get()
            }
            let handler: NIOLoopBound<VICIClientHandler>
            do {
                handler = try await channel.eventLoop.submit {
                    NIOLoopBound(try channel.pipeline.syncOperations.handler(type: VICIClientHandler.self),
                                 eventLoop: channel.eventLoop)
                }.get()
            } catch {
                try? await channel.close()
                throw error
            }
            logger.debug("connected", metadata: ["endpoint": "\(endpoint)"])
            return VICIConnection(endpoint: endpoint, configuration: configuration, channel: channel, handler: handler)
        } catch {
            throw VICIError(.connectFailed, "connecting to \(endpoint) failed: \(Self.describeConnectError(error))")
        }
    }

    /// Connects, runs `body` with the connection and closes it afterwards, also when `body` throws.
    public static func withConnection<Result>(
        to endpoint: VICIEndpoint = .default,
        configuration: Configuration = Configuration(),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (VICIConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let connection = try await connect(to: endpoint, configuration: configuration)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Closes the connection and waits until it is closed. Operations still queued or active fail with
    /// ``VICIError/Code/connectionClosed``. Calling it again (or after the daemon closed) does nothing.
    public func close() async {
        let handler = self.handler
        handler.eventLoop.execute { handler.value.closingByClient() }
        try? await channel.close()
        try? await channel.closeFuture.get()
    }

    /// Whether the connection is still open (it may close at any moment, e.g. when the daemon goes away).
    public var isOpen: Bool { channel.isActive }

    // MARK: - Commands

    /// Sends `command` with `message` and returns the response.
    ///
    /// - Parameters:
    ///   - command: The command name, e.g. `"stats"`.
    ///   - message: The request message (arguments); empty by default.
    ///   - timeout: The deadline for this call, instead of ``Configuration/commandTimeout``.
    ///   - checkSuccess: If `true` (default), a response with `success = no` fails with
    ///     ``VICIError/Code/commandFailed`` carrying `errmsg`; pass `false` to receive such responses as they are.
    /// - Throws: ``VICIError`` — an encoding error for an invalid request (nothing is sent), or see the type's
    ///   description of failures.
    public func call(
        _ command: String,
        _ message: VICIMessage = VICIMessage(),
        timeout: TimeAmount? = nil,
        checkSuccess: Bool = true
    ) async throws(VICIError) -> VICIMessage {
        let request = try encodeFrame(.commandRequest(name: command, message: message))
        let id = nextOperationID()
        let promise = channel.eventLoop.makePromise(of: VICIMessage.self)
        submit(.command(name: command, request: request), caller: .command(promise), id: id, timeout: timeout)
        let response = try await wait(for: promise.futureResult, id: id)
        if checkSuccess { try response.checkSuccess() }
        return response
    }

    /// Starts a streamed command and returns its events as they arrive; see ``VICICommandEvents``.
    ///
    /// The command is queued at once; iterate the result to receive the events, then ask it for the
    /// ``VICICommandEvents/response()``. Errors (an invalid request, the daemon's refusal, a timeout…) are
    /// thrown by the iteration.
    public func stream(
        _ command: VICIStreamedCommand,
        _ message: VICIMessage = VICIMessage(),
        timeout: TimeAmount? = nil
    ) -> VICICommandEvents {
        let id = nextOperationID()
        let promise = channel.eventLoop.makePromise(of: VICIMessage.self)
        let producer = VICICommandEvents.Producer.makeSequence(
            elementType: VICIMessage.self,
            backPressureStrategy: .init(
                lowWatermark: max(0, configuration.streamLowWatermark),
                highWatermark: max(1, configuration.streamHighWatermark, configuration.streamLowWatermark)
            ),
            finishOnDeinit: false,
            delegate: VICICommandEvents.Delegate(handler: handler, id: id)
        )
        do {
            let operation = VICIConnectionStateMachine.Operation.streamed(
                command: command.command, event: command.event,
                register: try encodeFrame(.eventRegister(name: command.event)),
                request: try encodeFrame(.commandRequest(name: command.command, message: message)),
                unregister: try encodeFrame(.eventUnregister(name: command.event)))
            submit(operation, caller: .stream(events: producer.source, promise: promise), id: id, timeout: timeout)
        } catch {
            producer.source.finish(error)
            promise.fail(error)
        }
        return VICICommandEvents(sequence: producer.sequence, outcome: promise.futureResult, connection: self, id: id)
    }

    /// Runs a streamed command, calling `onEvent` for each event as it arrives (one at a time, never
    /// concurrently), and returns the response. If `onEvent` throws, the error is rethrown at once and the
    /// connection drains the rest of the stream and unregisters by itself.
    public func stream(
        _ command: VICIStreamedCommand,
        _ message: VICIMessage = VICIMessage(),
        timeout: TimeAmount? = nil,
        onEvent: (VICIMessage) async throws -> Void
    ) async throws -> VICIMessage {
        let events = stream(command, message, timeout: timeout)
        for try await event in events {
            try await onEvent(event)
        }
        return try await events.response()
    }

    // MARK: - Subscriptions (used by VICIEventStream)

    /// Routes events of registered names into `buffer` from now on.
    func attach(_ buffer: @escaping @Sendable (EventLoop) -> VICIEventBuffer) async {
        let handler = self.handler
        try? await handler.eventLoop.submit { handler.value.attach(buffer(handler.eventLoop)) }.get()
    }

    /// Registers `event` for the attached subscription buffer.
    func register(_ event: String, timeout: TimeAmount? = nil) async throws(VICIError) {
        let register = try encodeFrame(.eventRegister(name: event))
        let id = nextOperationID()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        submit(.subscribe(event: event, register: register), caller: .subscribe(promise), id: id, timeout: timeout)
        try await wait(for: promise.futureResult, id: id)
    }

    // MARK: - Plumbing

    private func encodeFrame(_ packet: VICIPacket) throws(VICIError) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: 64)
        try packet.encodeFrame(into: &buffer, options: configuration.coding)
        return buffer
    }

    /// A new operation id, unique on this connection.
    private func nextOperationID() -> VICIConnectionStateMachine.OperationID {
        VICIConnectionStateMachine.OperationID(operationCount.add(1, ordering: .relaxed).newValue)
    }

    private func submit(_ operation: VICIConnectionStateMachine.Operation, caller: VICIClientHandler.Caller,
                        id: VICIConnectionStateMachine.OperationID, timeout: TimeAmount?) {
        let handler = self.handler
        let timeout = timeout ?? configuration.commandTimeout
        handler.eventLoop.execute { handler.value.enqueue(operation, caller: caller, id: id, timeout: timeout) }
    }

    /// Awaits `future`; if the task is cancelled meanwhile, tells the handler to drop or detach the operation.
    func wait<Value: Sendable>(for future: EventLoopFuture<Value>, id: VICIConnectionStateMachine.OperationID)
        async throws(VICIError) -> Value {
        let handler = self.handler
        do {
            return try await withTaskCancellationHandler {
                try await future.get()
            } onCancel: {
                handler.eventLoop.execute { handler.value.cancel(id) }
            }
        } catch let error as VICIError {
            throw error
        } catch {
            throw VICIError(.connectionClosed, "operation failed: \(error)")
        }
    }

    /// A readable reason for a failed connect: the errno text for system errors, per-address reasons for TCP.
    static func describeConnectError(_ error: any Error) -> String {
        if let error = error as? IOError {
            return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
        }
        if let error = error as? NIOConnectionError {
            var reasons = error.connectionErrors.map { "\($0.target): \(describeConnectError($0.error))" }
            if let dns = error.dnsAError { reasons.append("DNS A lookup: \(dns)") }
            if let dns = error.dnsAAAAError { reasons.append("DNS AAAA lookup: \(dns)") }
            return reasons.isEmpty ? "no address found for \(error.host)" : reasons.joined(separator: "; ")
        }
        if let error = error as? ChannelError, case .connectTimeout(let timeout) = error {
            return "timed out after \(Double(timeout.nanoseconds) / 1e9) s"
        }
        return "\(error)"
    }
}
