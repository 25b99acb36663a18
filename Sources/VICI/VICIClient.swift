import NIOCore
import NIOPosix

/// A connection to charon's VICI service.
///
/// Commands may be issued from any task; the connection queues them so that only one is in flight (the
/// protocol has no sequence numbers). Each command has an idle timeout: if charon sends nothing for that long,
/// the command fails with ``VICIError/Code/timeout`` and the connection is closed (a late answer would
/// desynchronise it). When the connection breaks, the active and all later commands fail with one
/// ``VICIError``.
///
/// ```swift
/// let vici = try await VICIClient.connect(to: VICIEndpoint(uri: "unix:///var/run/charon.vici"))
/// defer { Task { await vici.close() } }
/// let version = try await vici.version()
/// print(version.string("version") ?? "?")
/// let count = try await vici.stream("list-sas", event: "list-sa") { sa in print(sa.entries.map(\.name)) }
/// ```
public final class VICIClient: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<VICIClientHandler>
    /// The largest total size of streamed events one command may deliver.
    public let maxStreamBytes: Int
    /// The endpoint this client is connected to.
    public let endpoint: VICIEndpoint

    private init(channel: any Channel, handler: NIOLoopBound<VICIClientHandler>, maxStreamBytes: Int, endpoint: VICIEndpoint) {
        self.channel = channel
        self.handler = handler
        self.maxStreamBytes = maxStreamBytes
        self.endpoint = endpoint
    }

    /// Connects to `endpoint`. Throws ``VICIError/Code/connectFailed`` (with the OS error) when nothing
    /// listens there.
    ///
    /// - Parameters:
    ///   - timeout: the idle timeout of each command, and of connecting.
    ///   - maxStreamBytes: cap on the bytes of events one streamed command may deliver
    ///     (``VICIError/Code/streamTooLarge`` beyond).
    ///   - options: frame size and decoding limits.
    public static func connect(
        to endpoint: VICIEndpoint,
        timeout: Duration = .seconds(10),
        maxStreamBytes: Int = 1 << 30,
        options: VICICodingOptions = VICICodingOptions(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(VICIError) -> VICIClient {
        let (whole, atto) = timeout.components
        let nanos = whole.multipliedReportingOverflow(by: 1_000_000_000)
        let timeAmount = TimeAmount.nanoseconds(nanos.overflow ? Int64.max : nanos.partialValue &+ atto / 1_000_000_000)
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = VICIClientHandler(options: options, timeout: timeAmount)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(VICIFrameDecoder(maxFrameLength: options.maxFrameLength)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(VICIPacketEncoder(options: options)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do {
            switch endpoint {
            case .unix(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port): channel = try await bootstrap.connect(host: host, port: port).get()
            }
        } catch {
            throw VICIError(.connectFailed, "cannot connect to \(endpoint): \(error)")
        }
        do {
            let handler = try await channel.eventLoop.submit {
                try NIOLoopBound(channel.pipeline.syncOperations.handler(type: VICIClientHandler.self), eventLoop: channel.eventLoop)
            }.get()
            return VICIClient(channel: channel, handler: handler, maxStreamBytes: maxStreamBytes, endpoint: endpoint)
        } catch {
            channel.close(promise: nil)
            throw VICIError(.connectFailed, "connection to \(endpoint) closed during set-up: \(error)")
        }
    }

    /// Runs `command` and returns its response. A response with `success = no` is returned as is; the typed
    /// wrappers turn it into ``VICIError/Code/commandFailed``.
    public func call(_ command: String, _ message: VICIMessage = VICIMessage()) async throws(VICIError) -> VICIMessage {
        try await stream(command, event: nil, message) { _ in }
    }

    /// Runs a streamed `command`: registers `event`, sends the request, hands every `event` message to
    /// `onEvent` as it arrives, and returns the response. The event is always unregistered afterwards, also
    /// when `onEvent` throws or the task is cancelled: the connection finishes the exchange on its own so
    /// it stays usable. Passing `nil` for `event` makes it a plain command.
    public func stream(
        _ command: String, event: String?, _ message: VICIMessage = VICIMessage(),
        onEvent: (VICIMessage) throws -> Void
    ) async throws(VICIError) -> VICIMessage {
        let (stream, continuation) = AsyncThrowingStream<VICIInbound, any Error>.makeStream()
        let operation = VICIOperation(
            command: command, message: message, streamEvent: event, maxStreamBytes: maxStreamBytes, sink: continuation)
        submit(operation)
        do {
            for try await element in stream {
                switch element {
                case .event(_, let message): try onEvent(message)
                case .response(let response): return response
                }
            }
        } catch let error as VICIError {
            throw error
        } catch is CancellationError {
            throw VICIError(.connectionClosed, "\(command): cancelled")
        } catch {
            throw VICIError(.invalidValue, "\(command): event handler failed: \(error)")
        }
        if Task.isCancelled { throw VICIError(.connectionClosed, "\(command): cancelled") }
        throw VICIError(.connectionClosed, "\(command): connection closed before the response")
    }

    /// Runs a streamed command and collects every event (bounded by ``maxStreamBytes``).
    public func streamCollecting(_ command: String, event: String, _ message: VICIMessage = VICIMessage())
        async throws(VICIError) -> (events: [VICIMessage], response: VICIMessage)
    {
        var events: [VICIMessage] = []
        let response = try await stream(command, event: event, message) { events.append($0) }
        return (events, response)
    }

    /// Registers `events` on this connection and returns them as an ``VICIEventStream``. Use a connection
    /// of its own for subscriptions: commands issued on it still work, but the stream ends with the
    /// connection.
    ///
    /// - Parameter bufferLimit: events buffered while the consumer is busy; beyond it the stream ends with
    ///   ``VICIError/Code/streamTooLarge`` (resubscribe and resynchronise), so memory stays bounded and no
    ///   event is silently lost.
    public func subscribe(_ events: [String], bufferLimit: Int = 10_000) async throws(VICIError) -> VICIEventStream {
        let (eventStream, eventContinuation) = AsyncThrowingStream<VICIEvent, any Error>.makeStream(
            bufferingPolicy: .unbounded)
        let counter = VICIEventStream.Counter(limit: bufferLimit)
        let handler = self.handler
        try? await channel.eventLoop.submit {
            handler.value.eventSink = { name, message in
                if counter.enqueue() {
                    eventContinuation.yield(VICIEvent(name: name, message: message))
                } else {
                    eventContinuation.finish(throwing: VICIError(
                        .streamTooLarge, "more than \(bufferLimit) events waiting: the consumer fell behind"))
                    handler.value.failAll(VICIError(.streamTooLarge, "event buffer overflow"))
                }
            }
            handler.value.onClose = { error in eventContinuation.finish(throwing: error) }
        }.get()
        let (stream, continuation) = AsyncThrowingStream<VICIInbound, any Error>.makeStream()
        submit(VICIOperation(register: events, sink: continuation))
        do {
            for try await _ in stream {}
        } catch let error as VICIError {
            throw error
        } catch {
            throw VICIError(.connectionClosed, "subscribing: \(error)")
        }
        return VICIEventStream(stream: eventStream, counter: counter, client: self)
    }

    /// Closes the connection; commands still queued fail with ``VICIError/Code/connectionClosed``.
    /// Idempotent.
    public func close() async {
        let handler = self.handler
        try? await channel.eventLoop.submit {
            handler.value.failAll(VICIError(.connectionClosed, "connection closed by the client"))
        }.get()
        try? await channel.closeFuture.get()
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    private func submit(_ operation: VICIOperation) {
        let handler = self.handler
        let box = UncheckedOperation(operation: operation)
        channel.eventLoop.execute { handler.value.submit(box.operation) }
    }
}

/// Carries an operation to its event loop, where it is used exclusively.
private struct UncheckedOperation: @unchecked Sendable {
    let operation: VICIOperation
}
